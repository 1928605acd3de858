package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The tenant nouns (clients, apis, grants, users, keys) are thin,
// table-printing wrappers over the Management API's Auth0-shaped
// collections. Each noun's file holds one resource descriptor; this file
// turns a descriptor into its ls/get/create/update/rm verbs. Bodies are
// built as maps so a field the server adds later passes through --data
// untouched.

// verb is the help of one generated verb; an empty use leaves it out.
type verb struct{ use, short, example string }

// resource describes one Management API collection for the CLI.
type resource struct {
	cmd  *cobra.Command // the group: use, aliases, short, example
	path string         // the collection under /api/v2
	noun string         // what rm prints: "<noun> <id> deleted."

	ls      verb
	header  []string                                    // ls columns
	row     func(p *printer, o map[string]any) []string // ls row
	unpaged bool                                        // ls in one GET, without page parameters
	// lsFlags and lsQuery add filters to ls.
	lsFlags func(f *pflag.FlagSet)
	lsQuery func(cmd *cobra.Command) url.Values

	get  verb
	show func(p *printer, o map[string]any) error // get, create and update print with it

	create, update verb
	// flags declares the body flags of create (create is true) or update.
	flags func(f *pflag.FlagSet, create bool)
	// body builds the request body from --data and the flags.
	body func(cmd *cobra.Command, create bool) (map[string]any, error)
	// missing names what a create body lacks ("" when it is complete);
	// an update body must change something.
	missing func(body map[string]any) string
	// nothingToUpdate replaces the update verb's message for an empty body.
	nothingToUpdate string

	rm verb

	// more are the noun's own verbs (rotate-secret, revoke...), after the
	// generated ones.
	more []*cobra.Command
}

// command builds the noun's group with its verbs.
func (r resource) command() *cobra.Command {
	cmd := r.cmd
	if r.ls.use != "" {
		cmd.AddCommand(r.lsCommand())
	}
	if r.get.use != "" {
		cmd.AddCommand(withClient(&cobra.Command{Use: r.get.use, Short: r.get.short, Args: exactArgs(1), Example: r.get.example},
			func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
				var o map[string]any
				if err := c.call(cmd.Context(), "GET", r.path+"/"+pathEscape(args[0]), nil, nil, &o); err != nil {
					return err
				}
				return r.show(p, o)
			}))
	}
	if r.create.use != "" {
		cmd.AddCommand(r.writeCommand(r.create, true))
	}
	if r.update.use != "" {
		cmd.AddCommand(r.writeCommand(r.update, false))
	}
	if r.rm.use != "" {
		cmd.AddCommand(withClient(&cobra.Command{Use: r.rm.use, Aliases: []string{"delete"}, Short: r.rm.short, Args: exactArgs(1), Example: r.rm.example},
			func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
				if err := c.call(cmd.Context(), "DELETE", r.path+"/"+pathEscape(args[0]), nil, nil, nil); err != nil {
					return err
				}
				return done(p, "%s %s deleted.", r.noun, args[0])
			}))
	}
	cmd.AddCommand(r.more...)
	return cmd
}

func (r resource) lsCommand() *cobra.Command {
	ls := withClient(&cobra.Command{
		Use: r.ls.use, Aliases: []string{"list"}, Short: r.ls.short, Args: exactArgs(0), Example: r.ls.example,
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		var q url.Values
		if r.lsQuery != nil {
			q = r.lsQuery(cmd)
		}
		var list []map[string]any
		var err error
		if r.unpaged {
			err = c.call(cmd.Context(), "GET", r.path, q, nil, &list)
		} else {
			list, err = listAll[map[string]any](cmd.Context(), c, r.path, q)
		}
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(list)
		}
		var rows [][]string
		for _, o := range list {
			rows = append(rows, r.row(p, o))
		}
		return p.table(r.header, rows)
	})
	if r.lsFlags != nil {
		r.lsFlags(ls.Flags())
	}
	return ls
}

// writeCommand is create (POST <path>) or update (PATCH <path>/<arg>).
func (r resource) writeCommand(v verb, create bool) *cobra.Command {
	args := exactArgs(1)
	if create {
		args = exactArgs(0)
	}
	cmd := withClient(&cobra.Command{Use: v.use, Short: v.short, Args: args, Example: v.example},
		func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
			body, err := r.body(cmd, create)
			if err != nil {
				return err
			}
			method, path := "POST", r.path
			if create {
				if r.missing != nil {
					if m := r.missing(body); m != "" {
						return usageErr(fmt.Errorf("%s\n\n%s", m, cmd.UsageString()))
					}
				}
			} else {
				if len(body) == 0 {
					m := r.nothingToUpdate
					if m == "" {
						m = "nothing to update: give at least one flag"
					}
					return usageErr(fmt.Errorf("%s\n\n%s", m, cmd.UsageString()))
				}
				method, path = "PATCH", r.path+"/"+pathEscape(args[0])
			}
			var o map[string]any
			if err := c.call(cmd.Context(), method, path, nil, body, &o); err != nil {
				return err
			}
			return r.show(p, o)
		})
	r.flags(cmd.Flags(), create)
	return cmd
}

// dataBody starts a body from --data, for the nouns that take one.
func dataBody(cmd *cobra.Command) (map[string]any, error) {
	data, _ := cmd.Flags().GetString("data")
	return readData(cmd, data)
}

// showFields prints one object as the listed fields.
func showFields(fields [][2]string) func(*printer, map[string]any) error {
	return func(p *printer, o map[string]any) error { return showObject(p, o, fields) }
}

// readData parses --data: inline JSON, @FILE, or @- for stdin.
func readData(cmd *cobra.Command, data string) (map[string]any, error) {
	out := map[string]any{}
	if data == "" {
		return out, nil
	}
	b := []byte(data)
	if strings.HasPrefix(data, "@") {
		var err error
		if data == "@-" {
			b, err = io.ReadAll(cmd.InOrStdin())
		} else {
			b, err = os.ReadFile(data[1:])
		}
		if err != nil {
			return nil, usageErr(fmt.Errorf("--data: %w", err))
		}
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, usageErr(fmt.Errorf("--data is not a JSON object: %w", err))
	}
	return out, nil
}

// keyValues parses KEY=VALUE arguments.
func parseKeyValues(flag string, kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErr(fmt.Errorf("%s wants KEY=VALUE, got %q", flag, kv))
		}
		out[k] = v
	}
	return out, nil
}

// setIfChanged copies a string flag into body when the user gave it.
func setIfChanged(cmd *cobra.Command, body map[string]any, flag, field string) {
	f := cmd.Flags().Lookup(flag)
	if f == nil || !f.Changed {
		return
	}
	switch f.Value.Type() {
	case "stringSlice", "stringArray":
		v, _ := cmd.Flags().GetStringSlice(flag)
		if f.Value.Type() == "stringArray" {
			v, _ = cmd.Flags().GetStringArray(flag)
		}
		if v == nil {
			v = []string{}
		}
		body[field] = v
	case "int":
		v, _ := cmd.Flags().GetInt(flag)
		body[field] = v
	case "bool":
		v, _ := cmd.Flags().GetBool(flag)
		body[field] = v
	default:
		body[field] = f.Value.String()
	}
}

func str(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case nil:
		return ""
	case bool, float64:
		return fmt.Sprint(v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

func strList(m map[string]any, k string) string {
	l, _ := m[k].([]any)
	parts := make([]string, 0, len(l))
	for _, v := range l {
		parts = append(parts, fmt.Sprint(v))
	}
	return strings.Join(parts, " ")
}

// showObject prints one resource: JSON with -o json, else the listed
// fields as "label: value" lines.
func showObject(p *printer, obj map[string]any, fields [][2]string, extra ...[2]string) error {
	if p.json {
		return p.JSON(obj)
	}
	var kv [][2]string
	for _, f := range fields {
		v := str(obj, f[1])
		if l, ok := obj[f[1]].([]any); ok {
			v = strList(map[string]any{"l": l}, "l")
		}
		if v == "" {
			continue
		}
		kv = append(kv, [2]string{f[0], v})
	}
	return p.keyValues(append(kv, extra...))
}

func done(p *printer, format string, args ...any) error {
	if p.json {
		return nil
	}
	_, err := fmt.Fprintf(p.w, format+"\n", args...)
	return err
}

// sortedKeys returns m's keys in order, for stable tables.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
