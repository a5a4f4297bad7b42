package main

import (
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

// searchFlags are the search filters of `ordo orders list` (orders set)
// and `ordo instances list`, sent as the query parameters of the same
// names (the server checks them and names a bad one).
type searchFlags struct {
	orders bool

	// orders
	version                    int
	email, name, customer, sku string
	instanceStatus             string
	meta                       []string
	// instances
	customStatus, idPrefix string
	attributes             []string
	// both
	createdAfter, createdBefore, finishedAfter, finishedBefore string
}

func (f *searchFlags) flags(cmd *cobra.Command) {
	fl := cmd.Flags()
	if f.orders {
		fl.IntVar(&f.version, "version", 0, "only orders on this version of --flow")
		fl.StringVar(&f.email, "email", "", "only orders of this customer e-mail (any case)")
		fl.StringVar(&f.name, "name", "", "only orders of this customer name (any case)")
		fl.StringVar(&f.customer, "customer", "", "only orders of this customer: an e-mail (with @) or a name")
		fl.StringVar(&f.sku, "sku", "", "only orders with an item of this SKU")
		fl.StringArrayVar(&f.meta, "meta", nil, "only orders whose metadata holds key:value (repeatable, all must match)")
		fl.StringVar(&f.instanceStatus, "instance-status", "", "only orders whose instance has this status (any case)")
	} else {
		fl.StringVar(&f.customStatus, "custom-status", "", "only instances with this custom status (any case)")
		fl.StringVar(&f.idPrefix, "id-prefix", "", "only instances whose ID starts with this")
		fl.StringArrayVar(&f.attributes, "attribute", nil, "only instances with the search attribute key:value (repeatable)")
	}
	fl.StringVar(&f.createdAfter, "created-after", "", "only those created at or after this RFC 3339 time")
	fl.StringVar(&f.createdBefore, "created-before", "", "only those created before this RFC 3339 time")
	fl.StringVar(&f.finishedAfter, "finished-after", "", "only those finished at or after this RFC 3339 time")
	fl.StringVar(&f.finishedBefore, "finished-before", "", "only those finished before this RFC 3339 time")
}

// set adds the filters given to q.
func (f *searchFlags) set(q url.Values) {
	for k, v := range map[string]string{
		"email": f.email, "name": f.name, "customer": f.customer, "sku": f.sku, "instanceStatus": f.instanceStatus,
		"customStatus": f.customStatus, "idPrefix": f.idPrefix,
		"createdAfter": f.createdAfter, "createdBefore": f.createdBefore,
		"finishedAfter": f.finishedAfter, "finishedBefore": f.finishedBefore,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.version != 0 {
		q.Set("version", strconv.Itoa(f.version))
	}
	for _, m := range f.meta {
		q.Add("meta", m)
	}
	for _, a := range f.attributes {
		q.Add("attribute", a)
	}
}
