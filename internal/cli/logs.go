package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// logs: a hook's console lines (live), and the tenant log events.

// logLine is one hook console line on the stream (hooks.LogEntry's JSON).
type logLine struct {
	Time      time.Time `json:"time"`
	HookID    string    `json:"hook_id"`
	HookName  string    `json:"hook_name"`
	RequestID string    `json:"request_id"`
	Level     string    `json:"level"`
	Message   string    `json:"message"`
}

func newLogsCommand() *cobra.Command {
	var raw, verbose bool
	var only string
	cmd := &cobra.Command{
		Use:   "logs [-r] [-v]",
		Short: "Stream hooks' console output in real time (logs tenant: tenant events)",
		Long: `Stream what hooks print with console.log/info/warn/error, live, until
interrupted (Ctrl-C). The stream reconnects by itself when the connection
drops. -r prints each line as the server's raw JSON; -v adds the level, the
hook's id and the token request's id.

"tokenhook logs tenant" lists recent tenant log events instead.`,
		Example: `  tokenhook logs -p default
  tokenhook logs --hook client-credentials-exchange-hook -v
  tokenhook logs -r | jq .message`,
		Args: exactArgs(0),
	}
	addProfileFlag(cmd)
	cmd.Flags().BoolVarP(&raw, "raw", "r", false, "print each line as raw JSON")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show the level, hook id and request id")
	cmd.Flags().StringVar(&only, "hook", "", "only this hook's lines (name or id)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := clientFor(profileName(cmd))
		if err != nil {
			return err
		}
		p := &printer{w: cmd.OutOrStdout(), color: colorEnabled(cmd.OutOrStdout())}
		ctx, stop := signalContext(cmd.Context())
		defer stop()
		print := logLinePrinter(p, raw, verbose)
		return streamLogs(ctx, c, only, cmd.ErrOrStderr(), print)
	}
	cmd.AddCommand(newTenantLogsCommand())
	return cmd
}

// logLinePrinter prints one stream line: raw JSON, or the time, the
// hook's (or Action's) name and the message, more with verbose.
func logLinePrinter(p *printer, raw, verbose bool) func(string) {
	return func(data string) {
		if raw {
			fmt.Fprintln(p.w, data)
			return
		}
		var l logLine
		if json.Unmarshal([]byte(data), &l) != nil {
			fmt.Fprintln(p.w, data)
			return
		}
		msg := l.Message
		switch l.Level {
		case "error":
			msg = p.paint(ansiRed, msg)
		case "warn":
			msg = p.paint(ansiYellow, msg)
		}
		if verbose {
			fmt.Fprintf(p.w, "%s %s %s (%s) request=%s: %s\n", p.paint(ansiDim, l.Time.UTC().Format(time.RFC3339Nano)),
				levelLabel(p, l.Level), l.HookName, orDash(l.HookID), orDash(l.RequestID), msg)
			return
		}
		fmt.Fprintf(p.w, "%s [%s] %s\n", p.paint(ansiDim, l.Time.Local().Format("15:04:05.000")), l.HookName, msg)
	}
}

// streamLogs reads GET /hooks/logs/stream until ctx ends, reconnecting
// with backoff when the connection drops or the server restarts. Errors
// that retrying cannot fix (bad credentials, a 4xx) end it.
func streamLogs(ctx context.Context, c *apiClient, only string, status io.Writer, print func(string)) error {
	q := url.Values{}
	if only != "" {
		q.Set("hook", only)
	}
	backoff := time.Second
	for {
		connected, err := streamOnce(ctx, c, q, status, print)
		if ctx.Err() != nil {
			return nil
		}
		var ee *exitError
		if errors.As(err, &ee) && ee.code != ExitServerError {
			return err
		}
		if connected {
			backoff = time.Second
		}
		fmt.Fprintf(status, "Log stream interrupted (%v); reconnecting in %v...\n", err, backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// streamOnce runs one connection; connected says whether it got as far
// as the stream (so the backoff resets).
func streamOnce(ctx context.Context, c *apiClient, q url.Values, status io.Writer, print func(string)) (bool, error) {
	for attempt := 0; ; attempt++ {
		req, err := c.newRequest(ctx, "GET", "hooks/logs/stream", q, nil)
		if err != nil {
			return false, err
		}
		req.Header.Set("Accept", "text/event-stream")
		resp, err := c.stream.Do(req)
		if err != nil {
			return false, connError(err)
		}
		if resp.StatusCode == 401 && attempt == 0 {
			resp.Body.Close()
			if _, err := c.fetchToken(ctx); err != nil {
				return false, err
			}
			continue
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return false, statusError(resp)
		}
		fmt.Fprintln(status, "Waiting for hook logs... (Ctrl-C to stop)")
		// Server-Sent Events: "data:" lines accumulate until a blank
		// line ends the event; ":" lines are comments (heartbeats).
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64*1024), 4<<20)
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if len(data) > 0 {
					print(strings.Join(data, "\n"))
					data = data[:0]
				}
			case strings.HasPrefix(line, "data:"):
				data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
			}
		}
		err = sc.Err()
		if err == nil {
			err = errors.New("the server closed the stream")
		}
		return true, connError(err)
	}
}

// tenant log events

func newTenantLogsCommand() *cobra.Command {
	cmd := withClient(&cobra.Command{
		Use:   "tenant",
		Short: "List recent tenant log events (token exchanges and their failures)",
		Long: `List recent tenant log events, newest first: seccft/feccft (success or
failure of a client-credentials exchange), sepft/fepft (password exchange),
with the application, the hook that ran and the description.`,
		Example: `  tokenhook logs tenant
  tokenhook logs tenant --type feccft -n 10 -o json`,
		Args: exactArgs(0),
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		n, _ := cmd.Flags().GetInt("limit")
		if n < 1 || n > 100 {
			return usageErr(fmt.Errorf("--limit must be between 1 and 100"))
		}
		var terms []string
		if t, _ := cmd.Flags().GetString("type"); t != "" {
			terms = append(terms, "type:"+t)
		}
		if id, _ := cmd.Flags().GetString("client-id"); id != "" {
			terms = append(terms, "client_id:"+id)
		}
		q := url.Values{"per_page": {fmt.Sprint(n)}, "sort": {"date:-1"}}
		if len(terms) > 0 {
			q.Set("q", strings.Join(terms, " AND "))
		}
		var list []map[string]any
		if err := c.call(cmd.Context(), "GET", "logs", q, nil, &list); err != nil {
			return err
		}
		if p.json {
			return p.JSON(list)
		}
		var rows [][]string
		for _, o := range list {
			typ := str(o, "type")
			if strings.HasPrefix(typ, "f") {
				typ = p.paint(ansiRed, typ)
			}
			rows = append(rows, []string{str(o, "date"), typ, orDash(str(o, "client_name")), orDash(str(o, "hook")), orDash(str(o, "description"))})
		}
		return p.table([]string{"DATE", "TYPE", "APPLICATION", "HOOK", "DESCRIPTION"}, rows)
	})
	f := cmd.Flags()
	f.IntP("limit", "n", 50, "how many events (1-100)")
	f.String("type", "", "only events of this type (e.g. seccft, feccft)")
	f.String("client-id", "", "only events of this application")
	return cmd
}
