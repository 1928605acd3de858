package mgmt

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tokenhook/tokenhook/internal/storage"
)

const (
	defaultPerPage = 50
	maxPerPage     = 100
	// maxOffset bounds page * per_page on every list, so the offset is an
	// integer both SQL dialects take (an overflow used to reach
	// PostgreSQL as a negative OFFSET).
	maxOffset = math.MaxInt32
)

// fieldSelection is Auth0's fields + include_fields: keep only the listed
// properties, or (include_fields=false) drop them.
type fieldSelection struct {
	fields  []string
	include bool
}

// listQuery is a parsed list query string (compat-spec §4).
type listQuery struct {
	page          int
	perPage       int
	includeTotals bool
	sel           fieldSelection
	// filters holds the resource-specific parameters the route allowed;
	// lists every value of those Auth0 lets a caller repeat (multiValued).
	filters map[string]string
	lists   map[string][]string
	// checkpoint is set when the caller sent from or take (Auth0's
	// checkpoint pagination): the answer is {"<key>": [...], "next"}
	// instead of a page, offset items are skipped and take returned.
	checkpoint bool
	offset     int
	take       int
	// from is the raw from value, for lists whose checkpoint is an id
	// (logs) rather than an opaque position.
	from string
	// next is the token of the following page, set by readPage when
	// more items follow.
	next string
}

func (q listQuery) storagePage() storage.Page { return storage.Page{Page: q.page, PerPage: q.perPage} }

// multiValued are the list filters Auth0 takes repeated (identifiers=a&
// identifiers=b), as the generated SDKs send an array; every other
// parameter takes one value.
var multiValued = []string{"identifiers", "strategy"}

// maxRepeats bounds a repeated filter, as Auth0 does (identifiers: 10).
const maxRepeats = 10

// parseQuery validates the query string: only the common parameters in
// common plus extra are allowed, like Auth0 which rejects unknown ones.
func parseQuery(r *http.Request, common []string, extra ...string) (listQuery, error) {
	q := listQuery{perPage: defaultPerPage, sel: fieldSelection{include: true}, filters: map[string]string{}, lists: map[string][]string{}}
	values := r.URL.Query()
	for k, vs := range values {
		if !slices.Contains(common, k) && !slices.Contains(extra, k) {
			return q, errQuery("Additional properties not allowed: %s", k)
		}
		if len(vs) != 1 && !slices.Contains(multiValued, k) {
			return q, errQuery("Expected a single value for %s", k)
		}
		if len(vs) > maxRepeats {
			return q, errQuery("Expected at most %d values for %s", maxRepeats, k)
		}
	}
	var err error
	if v := values.Get("page"); values.Has("page") {
		if q.page, err = strconv.Atoi(v); err != nil || q.page < 0 {
			return q, errQuery("Expected page to be an integer greater than or equal to 0")
		}
	}
	if v := values.Get("per_page"); values.Has("per_page") {
		if q.perPage, err = strconv.Atoi(v); err != nil || q.perPage < 1 || q.perPage > maxPerPage {
			return q, errQuery("Expected per_page to be an integer between 1 and %d", maxPerPage)
		}
	}
	if q.page > maxOffset/q.perPage {
		return q, errQuery("Expected page to be an integer between 0 and %d for per_page=%d", maxOffset/q.perPage, q.perPage)
	}
	if slices.Contains(common, "from") && (values.Has("from") || values.Has("take")) {
		if err := q.parseCheckpoint(values.Get("from"), values.Get("take"), values.Has("page") || values.Has("per_page")); err != nil {
			return q, err
		}
	}
	if q.includeTotals, err = queryBool(values.Get("include_totals"), "include_totals", false); err != nil {
		return q, err
	}
	if q.sel.include, err = queryBool(values.Get("include_fields"), "include_fields", true); err != nil {
		return q, err
	}
	if f := values.Get("fields"); f != "" {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				q.sel.fields = append(q.sel.fields, name)
			}
		}
	}
	for _, k := range extra {
		if values.Has(k) {
			q.filters[k] = values.Get(k)
			if slices.Contains(multiValued, k) {
				q.lists[k] = values[k]
			}
		}
	}
	return q, nil
}

// maxCheckpointOffset keeps the two storage pages readPage reads inside
// maxOffset whatever take is.
const maxCheckpointOffset = maxOffset - 2*(maxPerPage+1)

// parseCheckpoint reads from and take. The from token is opaque to the
// caller, as Auth0's is: it encodes the position of the next item.
func (q *listQuery) parseCheckpoint(from, take string, paged bool) error {
	if paged {
		return errQuery("from and take (checkpoint pagination) cannot be combined with page or per_page")
	}
	q.checkpoint = true
	q.take = defaultPerPage
	if take != "" {
		n, err := strconv.Atoi(take)
		if err != nil || n < 1 || n > maxPerPage {
			return errQuery("Expected take to be an integer between 1 and %d", maxPerPage)
		}
		q.take = n
	}
	q.from = from
	if from == "" {
		return nil
	}
	off, ok := decodeCheckpoint(from)
	if !ok {
		return errQuery("Invalid from: not a checkpoint returned as next by this list")
	}
	q.offset = off
	return nil
}

// checkpointPrefix marks tokenhook's checkpoint tokens, so a token of
// another kind (a log id, garbage) is refused rather than misread.
const checkpointPrefix = "cp1:"

func encodeCheckpoint(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(checkpointPrefix + strconv.Itoa(offset)))
}

func decodeCheckpoint(s string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	v, ok := strings.CutPrefix(string(raw), checkpointPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxCheckpointOffset {
		return 0, false
	}
	return n, true
}

// readPage reads what q asks for through a storage list call: one page,
// or in checkpoint mode take items from offset plus one more to learn
// whether a next page exists. Storage pages by page number, so an
// arbitrary offset is read as at most two pages of take+1 items.
func readPage[T any](q *listQuery, fetch func(storage.Page) ([]T, int, error)) ([]T, int, error) {
	if !q.checkpoint {
		return fetch(q.storagePage())
	}
	per := q.take + 1
	p, within := q.offset/per, q.offset%per
	list, total, err := fetch(storage.Page{Page: p, PerPage: per})
	if err != nil {
		return nil, 0, err
	}
	if within > 0 && len(list) == per {
		more, _, err := fetch(storage.Page{Page: p + 1, PerPage: per})
		if err != nil {
			return nil, 0, err
		}
		list = append(list, more...)
	}
	list = list[min(within, len(list)):]
	return cutCheckpoint(q, list), total, nil
}

// cutCheckpoint keeps take items of a checkpoint read that started at
// offset and sets next when more followed.
func cutCheckpoint[T any](q *listQuery, list []T) []T {
	if len(list) > q.take {
		q.next = encodeCheckpoint(q.offset + q.take)
		list = list[:q.take]
	}
	return list
}

var (
	listParams = []string{"page", "per_page", "include_totals", "fields", "include_fields"}
	// checkpointParams adds Auth0's checkpoint pagination to a list.
	checkpointParams = []string{"page", "per_page", "include_totals", "fields", "include_fields", "from", "take"}
	getParams        = []string{"fields", "include_fields"}
	noParams         = []string{}
)

func queryBool(v, name string, def bool) (bool, error) {
	switch v {
	case "":
		return def, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errQuery("Expected %s to be true or false", name)
}

// project applies a field selection to one wire value.
func project(v any, sel fieldSelection) (any, error) {
	if len(sel.fields) == 0 {
		return v, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for k := range m {
		if slices.Contains(sel.fields, k) != sel.include {
			delete(m, k)
		}
	}
	return m, nil
}

// writeList writes a page: a bare array, or with include_totals=true
// {"start", "limit", "total", "<key>": [...]} as Auth0 does.
func writeList[T any](w http.ResponseWriter, key string, items []T, total int, q listQuery) error {
	out := make([]any, 0, len(items))
	for _, it := range items {
		p, err := project(it, q.sel)
		if err != nil {
			return err
		}
		out = append(out, p)
	}
	if q.checkpoint {
		// Auth0's checkpoint answer: the items and, while more follow,
		// the from value of the next page (include_totals has no effect).
		body := map[string]any{key: out}
		if q.next != "" {
			body["next"] = q.next
		}
		writeJSON(w, http.StatusOK, body)
		return nil
	}
	if !q.includeTotals {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"start": q.page * q.perPage,
		"limit": q.perPage,
		"total": total,
		key:     out,
	})
	return nil
}

// writeOne writes a single resource with the field selection applied.
func writeOne(w http.ResponseWriter, status int, v any, sel fieldSelection) error {
	p, err := project(v, sel)
	if err != nil {
		return err
	}
	writeJSON(w, status, p)
	return nil
}

// pageOf slices an already filtered list in memory, for filters the
// storage contract does not offer.
func pageOf[T any](all []T, q *listQuery) []T {
	if q.checkpoint {
		start := min(q.offset, len(all))
		return cutCheckpoint(q, all[start:min(start+q.take+1, len(all))])
	}
	start := q.page * q.perPage
	if start >= len(all) {
		return []T{}
	}
	return all[start:min(start+q.perPage, len(all))]
}
