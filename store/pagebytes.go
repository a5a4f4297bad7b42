package store

// MaxPageBytes bounds the stored JSON (params and output) of the
// instances one InstanceList page holds, besides its Limit: a backend stops
// reading rows once it has more than this, and the page ends there with a
// NextCursor. An instance's params and output are each at most the payload
// limit (1 MiB), so without this a page of 1000 rows could hold gigabytes,
// and a few concurrent listings exhaust memory. A page always holds at
// least one instance.
const MaxPageBytes = 8 << 20

// InstancePageBuilder collects the rows of an InstanceList page as a
// backend reads them, newest first, up to limit+1 rows (the last only
// telling that there is more).
type InstancePageBuilder struct {
	limit int
	bytes int
	cut   bool
	page  *InstancePage
}

// NewInstancePageBuilder starts a page of at most limit instances.
func NewInstancePageBuilder(limit int) *InstancePageBuilder {
	return &InstancePageBuilder{limit: limit, page: &InstancePage{Instances: make([]*Instance, 0, min(limit, 64))}}
}

// Add appends an instance read from the store and reports whether the
// backend should read more rows.
func (b *InstancePageBuilder) Add(in *Instance) bool {
	b.page.Instances = append(b.page.Instances, in)
	b.bytes += len(in.Params) + len(in.Output)
	if b.bytes > MaxPageBytes && len(b.page.Instances) <= b.limit {
		b.cut = true
		return false
	}
	return len(b.page.Instances) <= b.limit
}

// Page returns the page, with a NextCursor when rows were left unread.
func (b *InstancePageBuilder) Page() *InstancePage {
	p := b.page
	if len(p.Instances) > b.limit {
		p.Instances = p.Instances[:b.limit]
		b.cut = true
	}
	if b.cut && len(p.Instances) > 0 {
		last := p.Instances[len(p.Instances)-1]
		p.NextCursor = EncodeInstanceCursor(last.CreatedAt, last.ID)
	}
	return p
}
