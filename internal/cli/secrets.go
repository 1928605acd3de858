package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// secrets: a hook's secrets, as a noun (secrets ls/set/rm) and as the
// -s/--secrets-file flags of create.

// secretFlags adds -s/--secret and --secrets-file.
func secretFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayP("secret", "s", nil, "secret KEY=VALUE, read by the hook as context.webtask.secrets.KEY (repeatable)")
	cmd.Flags().String("secrets-file", "", "file of KEY=VALUE lines (# comments allowed), or a JSON object")
}

// readSecrets merges --secrets-file and then -s (which wins).
func readSecrets(cmd *cobra.Command) (map[string]string, error) {
	out := map[string]string{}
	if file, _ := cmd.Flags().GetString("secrets-file"); file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--secrets-file: %w", err))
		}
		if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
			if err := json.Unmarshal(t, &out); err != nil {
				return nil, usageErr(fmt.Errorf("--secrets-file %s: %w", file, err))
			}
		} else {
			sc := bufio.NewScanner(bytes.NewReader(b))
			for n := 1; sc.Scan(); n++ {
				line := strings.TrimSpace(sc.Text())
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				k, v, ok := strings.Cut(line, "=")
				if !ok || strings.TrimSpace(k) == "" {
					return nil, usageErr(fmt.Errorf("--secrets-file %s:%d: want KEY=VALUE", file, n))
				}
				out[strings.TrimSpace(k)] = v
			}
		}
	}
	kvs, _ := cmd.Flags().GetStringArray("secret")
	s, err := parseKeyValues("--secret", kvs)
	if err != nil {
		return nil, err
	}
	for k, v := range s {
		out[k] = v
	}
	return out, nil
}

// setSecrets writes secrets to a hook: PATCH for names it already has,
// POST for new ones (the API refuses to POST an existing name and to PATCH
// a missing one).
func setSecrets(ctx context.Context, c *apiClient, id string, secrets map[string]string) error {
	if len(secrets) == 0 {
		return nil
	}
	var have map[string]string
	if err := c.call(ctx, "GET", "hooks/"+id+"/secrets", nil, nil, &have); err != nil {
		return err
	}
	add, change := map[string]string{}, map[string]string{}
	for k, v := range secrets {
		if _, ok := have[k]; ok {
			change[k] = v
		} else {
			add[k] = v
		}
	}
	if len(change) > 0 {
		if err := c.call(ctx, "PATCH", "hooks/"+id+"/secrets", nil, change, nil); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		if err := c.call(ctx, "POST", "hooks/"+id+"/secrets", nil, add, nil); err != nil {
			return err
		}
	}
	return nil
}

func newSecretsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "List, set and remove a hook's secrets",
		Long: `A hook's secrets are read by its code as context.webtask.secrets.NAME. They
are stored encrypted and never shown again: ls lists the names only.`,
		Example: `  tokenhook secrets set myhook API_KEY=abc123 REGION=eu
  tokenhook secrets ls myhook
  tokenhook secrets rm myhook REGION`,
	}
	ls := withClient(&cobra.Command{
		Use: "ls NAME", Aliases: []string{"list"}, Short: "List a hook's secret names", Args: exactArgs(1),
		Example: "  tokenhook secrets ls myhook",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		h, err := mustFindHook(cmd.Context(), c, args[0])
		if err != nil {
			return err
		}
		var s map[string]string
		if err := c.call(cmd.Context(), "GET", "hooks/"+h.ID+"/secrets", nil, nil, &s); err != nil {
			return err
		}
		if p.json {
			if s == nil {
				s = map[string]string{}
			}
			return p.JSON(s)
		}
		// Secrets imported without a value (deploy-cli's placeholder)
		// exist by name only: say so, the hook sees them as undefined.
		var unset []string
		if err := c.call(cmd.Context(), "GET", "hooks/"+h.ID+"/secrets/unset", nil, nil, &unset); err != nil {
			return err
		}
		var rows [][]string
		for _, k := range sortedKeys(s) {
			v := s[k]
			if slices.Contains(unset, k) {
				v = "(no value: set one with `tokenhook secrets set " + h.Name + " " + k + "=...`)"
			}
			rows = append(rows, []string{k, v})
		}
		return p.table([]string{"SECRET", "VALUE"}, rows)
	})
	set := withClient(&cobra.Command{
		Use: "set NAME KEY=VALUE...", Short: "Add or change secrets", Args: minArgs(2),
		Example: "  tokenhook secrets set myhook API_KEY=abc123",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		kv, err := parseKeyValues("secret", args[1:])
		if err != nil {
			return err
		}
		h, err := mustFindHook(cmd.Context(), c, args[0])
		if err != nil {
			return err
		}
		if err := setSecrets(cmd.Context(), c, h.ID, kv); err != nil {
			return err
		}
		return done(p, "Set %s on hook %q.", strings.Join(sortedKeys(kv), ", "), h.Name)
	})
	rm := withClient(&cobra.Command{
		Use: "rm NAME KEY...", Aliases: []string{"delete"}, Short: "Remove secrets", Args: minArgs(2),
		Example: "  tokenhook secrets rm myhook API_KEY",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		h, err := mustFindHook(cmd.Context(), c, args[0])
		if err != nil {
			return err
		}
		var have map[string]string
		if err := c.call(cmd.Context(), "GET", "hooks/"+h.ID+"/secrets", nil, nil, &have); err != nil {
			return err
		}
		for _, k := range args[1:] {
			if _, ok := have[k]; !ok {
				return &exitError{code: ExitNotFound, err: fmt.Errorf("hook %q has no secret %q", h.Name, k)}
			}
		}
		if err := c.call(cmd.Context(), "DELETE", "hooks/"+h.ID+"/secrets", nil, args[1:], nil); err != nil {
			return err
		}
		return done(p, "Removed %s from hook %q.", strings.Join(args[1:], ", "), h.Name)
	})
	cmd.AddCommand(ls, set, rm)
	return cmd
}
