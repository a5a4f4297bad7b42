package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/sqlite"
)

func init() { register(newKeysCmd) }

// keysFlags are the flags of `ordo keys`: a server to ask (clientFlags), or
// a database to work on directly.
type keysFlags struct {
	clientFlags
	dataDir  string
	postgres string
}

func newKeysCmd() *cobra.Command {
	kf := &keysFlags{}
	cmd := &cobra.Command{
		Use:     "keys",
		Aliases: []string{"key"},
		Short:   "Create, list and revoke API keys",
		Long: `Create, list and revoke the API keys of a server.

By default the commands ask the running server (--server), which needs an
admin key (--api-key or ORDO_API_KEY). With --data-dir DIR (SQLite) or
--postgres URL they work on the database directly, without a server: the
way to create the first key before ordo serve listens on a public address.
A key created or revoked there takes effect in a running server within 5
seconds.`,
	}
	kf.add(cmd)
	cmd.PersistentFlags().StringVar(&kf.dataDir, "data-dir", "", "work on the SQLite database under this ordo serve --data-dir instead of asking a server")
	cmd.PersistentFlags().StringVar(&kf.postgres, "postgres", "", "work on this PostgreSQL database (an ordo serve --postgres URL) instead of asking a server")
	cmd.AddCommand(keysCreateCmd(kf), keysListCmd(kf), keysRevokeCmd(kf), keysGenerateCmd())
	return cmd
}

func keysCreateCmd(kf *keysFlags) *cobra.Command {
	var scope string
	cmd := &cobra.Command{
		Use:   "create NAME --scope read|operate|admin",
		Short: "Create an API key and print it (the only time it is shown)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := auth.ParseScope(scope)
			if err != nil {
				return fmt.Errorf("--scope: %w", err)
			}
			var created api.CreatedKey
			var raw []byte
			if kf.offline() {
				err = kf.withAuthenticator(cmd.Context(), func(a *auth.Authenticator) error {
					key, k, err := a.CreateKey(cmd.Context(), args[0], sc, "")
					created = api.CreatedKey{APIKey: k, Key: key}
					return err
				})
				if err == nil {
					raw, err = json.Marshal(created)
				}
			} else {
				raw, _, err = kf.client().do(cmd.Context(), "POST", "/v1/keys", api.CreateKeyRequest{Name: args[0], Scope: scope}, &created)
			}
			if err != nil {
				return err
			}
			if kf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			if created.APIKey == nil || created.Key == "" {
				return errors.New("the server's answer holds no key")
			}
			fmt.Fprintln(cmd.OutOrStdout(), created.Key)
			fmt.Fprintf(cmd.ErrOrStderr(), "Created API key %q with scope %s. The key above is shown only now: "+
				"store it (for example as ORDO_API_KEY); only its hash is kept.\n", created.Name, created.Scope)
			return nil
		},
	}
	cmd.Flags().StringVar(&scope, "scope", "", "what the key may do: read, operate or admin (required)")
	_ = cmd.MarkFlagRequired("scope")
	return cmd
}

func keysListCmd(kf *keysFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the API keys (never the keys themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Keys []*store.APIKey `json:"keys"`
			}
			var raw []byte
			var err error
			if kf.offline() {
				err = kf.withAuthenticator(cmd.Context(), func(a *auth.Authenticator) error {
					res.Keys, err = a.ListKeys(cmd.Context())
					return err
				})
				if err == nil {
					raw, err = json.Marshal(res)
				}
			} else {
				raw, _, err = kf.client().do(cmd.Context(), "GET", "/v1/keys", nil, &res)
			}
			if err != nil {
				return err
			}
			if kf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return printKeys(cmd.OutOrStdout(), res.Keys)
		},
	}
}

func keysRevokeCmd(kf *keysFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke an API key: its requests and dashboard sessions stop working",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var k store.APIKey
			var raw []byte
			var err error
			if kf.offline() {
				err = kf.withAuthenticator(cmd.Context(), func(a *auth.Authenticator) error {
					r, err := a.RevokeKey(cmd.Context(), args[0])
					if r != nil {
						k = *r
					}
					return err
				})
				if err == nil {
					raw, err = json.Marshal(k)
				}
			} else {
				raw, _, err = kf.client().do(cmd.Context(), "DELETE", "/v1/keys/"+url.PathEscape(args[0]), nil, &k)
			}
			if err != nil {
				return err
			}
			if kf.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Revoked API key %q (%s).\n", k.Name, fmtTimePtr(k.RevokedAt))
			return nil
		},
	}
}

func keysGenerateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "generate",
		Short: "Print a new random key for ORDO_API_KEY or --api-key-file (nothing is stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := auth.GenerateKey()
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), key)
			return nil
		},
	}
}

// offline reports whether the command works on a database directly.
func (kf *keysFlags) offline() bool { return kf.dataDir != "" || kf.postgres != "" }

// withAuthenticator opens (and migrates) the database the flags name and
// calls f with an Authenticator on its keys.
func (kf *keysFlags) withAuthenticator(ctx context.Context, f func(*auth.Authenticator) error) error {
	if kf.dataDir != "" && kf.postgres != "" {
		return errors.New("--data-dir and --postgres name two databases; use one")
	}
	st, err := kf.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ks, ok := st.(store.KeyStore)
	if !ok {
		return fmt.Errorf("the %T storage keeps no API keys", st)
	}
	a, err := auth.New(auth.Config{Store: ks})
	if err != nil {
		return err
	}
	return f(a)
}

// openStore opens the database of --data-dir or --postgres and brings its
// schema up to date, as ordo serve does at start.
func (kf *keysFlags) openStore(ctx context.Context) (store.Store, error) {
	if kf.postgres != "" {
		st, err := postgres.Open(ctx, kf.postgres, nil)
		if err != nil {
			return nil, fmt.Errorf("--postgres: %w", err)
		}
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, fmt.Errorf("--postgres: %w", err)
		}
		return st, nil
	}
	if err := os.MkdirAll(kf.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("--data-dir: %w", err)
	}
	path := filepath.Join(kf.dataDir, "ordo.db")
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return st, nil
}

// printKeys writes keys as a table.
func printKeys(w io.Writer, keys []*store.APIKey) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSCOPE\tPREFIX\tCREATED\tLAST USED\tREVOKED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, k.Scope, dash(k.Prefix),
			k.CreatedAt.Local().Format(time.DateTime), fmtTimePtr(k.LastUsedAt), fmtTimePtr(k.RevokedAt))
	}
	return tw.Flush()
}
