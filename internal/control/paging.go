package control

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// Paging of the describe actions AWS pages: EC2's MaxResults/NextToken and
// ELBv2's PageSize/Marker → NextMarker, one implementation for all.
//
// Tokens are keyset tokens, not offsets: a token holds the sort key (the
// resource's ID or ARN) of the last item of the page it ends, and the next
// page starts after that key. The items are ordered by that key whenever
// a call pages (MaxResults or PageSize given, or a token), so an item that
// exists for the whole walk appears exactly once however other writers
// insert and delete items meanwhile, and a token stays valid as long as
// plink reads the same query: it also carries a hash of the request's
// other members (and of the caller), and a token handed back with a
// different query is refused, as AWS refuses it. A call that does not page
// keeps the store's order (creation order for most resources).

// ec2PageSpec is how one EC2 describe action bounds MaxResults, from its
// documentation in the service model.
type ec2PageSpec struct {
	min, max int
	// clamp: a MaxResults above max returns max items ("Constraint: If the
	// value is greater than 1,000, we return only 1,000 items"); otherwise
	// it is InvalidParameterValue.
	clamp bool
	// idsMember names the member MaxResults may not be combined with
	// (DescribeNetworkInterfaces: "You cannot specify this parameter and
	// the network interface IDs parameter in the same request").
	idsMember string
}

// ec2PageSpecs are keyed by the input struct's type name.
var ec2PageSpecs = map[string]ec2PageSpec{
	// "If the value is greater than 1,000, we return only 1,000 items."
	"DescribeVpcEndpointsInput":        {min: 1, max: 1000, clamp: true},
	"DescribeVpcEndpointServicesInput": {min: 1, max: 1000, clamp: true},
	// "This value can be between 5 and 1,000; if MaxResults is given a
	// value larger than 1,000, only 1,000 results are returned."
	"DescribeVpcEndpointConnectionsInput":           {min: 5, max: 1000, clamp: true},
	"DescribeVpcEndpointServiceConfigurationsInput": {min: 5, max: 1000, clamp: true},
	"DescribeVpcEndpointServicePermissionsInput":    {min: 5, max: 1000, clamp: true},
	// No range documented.
	"DescribeVpcEndpointConnectionNotificationsInput": {min: 1, max: 1000, clamp: true},
	// The model's range (shapes Describe*MaxResults: min 5, max 1000).
	"DescribeNetworkInterfacesInput":  {min: 5, max: 1000, idsMember: "NetworkInterfaceIds"},
	"DescribeSecurityGroupsInput":     {min: 5, max: 1000},
	"DescribeSecurityGroupRulesInput": {min: 5, max: 1000},
	"DescribeSubnetsInput":            {min: 5, max: 1000},
	"DescribeVpcsInput":               {min: 5, max: 1000},
	// "This value can be between 5 and 1000."
	"DescribeTagsEC2Input": {min: 5, max: 1000},
}

// ELBv2's PageSize: shape PageSize, min 1, max 400.
const (
	elbPageSizeMin = 1
	elbPageSizeMax = 400
)

// ec2Pager is an input struct with EC2's paging members (EC2Paging embedded).
type ec2Pager interface{ ec2Paging() EC2Paging }

func (p EC2Paging) ec2Paging() EC2Paging { return p }

// elbPager is an input struct with ELBv2's paging members (ELBPaging embedded).
type elbPager interface{ elbPaging() ELBPaging }

func (p ELBPaging) elbPaging() ELBPaging { return p }

// checkPaging validates the paging members of in (an input struct with
// EC2Paging or ELBPaging embedded) before an action reads anything: a page
// size out of range, a bad token, or MaxResults with IDs where AWS refuses
// that, are refused before a missing resource is.
func checkPaging(a *API, in any) error {
	var err error
	switch p := in.(type) {
	case ec2Pager:
		if pg := p.ec2Paging(); pg.MaxResults != nil || pg.NextToken != "" {
			_, _, _, err = ec2PageArgs(a, p)
		}
	case elbPager:
		if pg := p.elbPaging(); pg.PageSize != nil || pg.Marker != "" {
			_, _, _, err = elbPageArgs(a, p)
		}
	}
	return err
}

// pageEC2 returns the page of items that in asks for, and the NextToken
// of the page after it ("" on the last page). key is the item's unique
// sort key (its ID). items are all the items that match the query.
func pageEC2[T any](a *API, in ec2Pager, items []T, key func(T) string) ([]T, string, error) {
	p := in.ec2Paging()
	if p.MaxResults == nil && p.NextToken == "" {
		return items, "", nil
	}
	limit, after, q, err := ec2PageArgs(a, in)
	if err != nil {
		return nil, "", err
	}
	return pageOf(items, key, after, limit, q)
}

// pageELB is pageEC2 for ELBv2: PageSize (1–400) and Marker → NextMarker.
func pageELB[T any](a *API, in elbPager, items []T, key func(T) string) ([]T, string, error) {
	p := in.elbPaging()
	if p.PageSize == nil && p.Marker == "" {
		return items, "", nil
	}
	limit, after, q, err := elbPageArgs(a, in)
	if err != nil {
		return nil, "", err
	}
	return pageOf(items, key, after, limit, q)
}

func pageOf[T any](items []T, key func(T) string, after string, limit int, q []byte) ([]T, string, error) {
	page, next := keysetPage(items, key, after, limit)
	if next == "" {
		return page, "", nil
	}
	return page, encodeToken(next, q), nil
}

// ec2PageArgs checks EC2's paging members and returns the page size, the
// key the page starts after and the query's hash.
func ec2PageArgs(a *API, in ec2Pager) (limit int, after string, q []byte, err error) {
	p := in.ec2Paging()
	spec, ok := ec2PageSpecs[typeName(in)]
	if !ok {
		spec = ec2PageSpec{min: 5, max: 1000}
	}
	limit = spec.max
	if p.MaxResults != nil {
		n := *p.MaxResults
		switch {
		case n < spec.min:
			return 0, "", nil, invalidValue("Value ( %d ) for parameter maxResults is invalid. Expecting a value greater than %d.", n, spec.min)
		case n > spec.max && !spec.clamp:
			return 0, "", nil, invalidValue("Value ( %d ) for parameter maxResults is invalid. Expecting a value less than %d.", n, spec.max)
		case n <= spec.max:
			limit = n
		}
		if spec.idsMember != "" && !isUnset(reflect.ValueOf(in).Elem().FieldByName(goField(in, spec.idsMember))) {
			return 0, "", nil, Errorf(ErrCodeInvalidParameterCombination, "The parameter %s cannot be used with the parameter MaxResults", spec.idsMember)
		}
	}
	q = a.queryHash(in)
	if after, err = decodeToken(p.NextToken, q); err != nil {
		return 0, "", nil, Errorf(ErrCodeInvalidNextToken, "The specified NextToken is not valid.")
	}
	return limit, after, q, nil
}

// elbPageArgs is ec2PageArgs for ELBv2.
func elbPageArgs(a *API, in elbPager) (limit int, after string, q []byte, err error) {
	p := in.elbPaging()
	limit = elbPageSizeMax
	if p.PageSize != nil {
		n := *p.PageSize
		switch {
		case n < elbPageSizeMin:
			return 0, "", nil, elbValidation("1 validation error detected: Value '%d' at 'pageSize' failed to satisfy constraint: Member must have value greater than or equal to %d", n, elbPageSizeMin)
		case n > elbPageSizeMax:
			return 0, "", nil, elbValidation("1 validation error detected: Value '%d' at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to %d", n, elbPageSizeMax)
		}
		limit = n
	}
	q = a.queryHash(in)
	if after, err = decodeToken(p.Marker, q); err != nil {
		return 0, "", nil, elbValidation("The marker '%s' is not valid", p.Marker)
	}
	return limit, after, q, nil
}

// keysetPage orders items by key and returns at most limit of those whose
// key is after after ("" = from the start), and the key of the page's last
// item when more items follow ("" otherwise).
func keysetPage[T any](items []T, key func(T) string, after string, limit int) ([]T, string) {
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(x, y T) int { return strings.Compare(key(x), key(y)) })
	start := 0
	if after != "" {
		start, _ = slices.BinarySearchFunc(sorted, after, func(x T, k string) int {
			if key(x) <= k {
				return -1
			}
			return 1
		})
	}
	rest := sorted[start:]
	if len(rest) <= limit {
		return rest, ""
	}
	return rest[:limit], key(rest[limit-1])
}

// tokenVersion starts every token: a token of another format is refused.
const tokenVersion = 1

// queryHashLen bytes of SHA-256 tie a token to its query.
const queryHashLen = 12

// encodeToken returns the opaque token that resumes after key for the
// query q.
func encodeToken(key string, q []byte) string {
	b := append([]byte{tokenVersion}, q...)
	return base64.RawURLEncoding.EncodeToString(append(b, key...))
}

// decodeToken returns the key a token resumes after: "" for no token, an
// error for a token that is garbled, of another version, or of another
// query.
func decodeToken(tok string, q []byte) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) <= 1+queryHashLen || b[0] != tokenVersion || !bytes.Equal(b[1:1+queryHashLen], q) {
		return "", errBadToken
	}
	return string(b[1+queryHashLen:]), nil
}

var errBadToken = Errorf(ErrCodeInvalidNextToken, "bad token")

// queryHash identifies a query: the caller, the action (the input's type)
// and every member of in but the paging members and DryRun.
func (a *API) queryHash(in any) []byte {
	raw, _ := json.Marshal(in)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	for _, k := range []string{"MaxResults", "NextToken", "PageSize", "Marker", "DryRun"} {
		delete(m, k)
	}
	canon, _ := json.Marshal(m) // map keys are sorted
	h := sha256.New()
	for _, s := range []string{a.caller.Account, a.caller.Principal, a.caller.Region, typeName(in)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(canon)
	return h.Sum(nil)[:queryHashLen]
}

// typeName is the name of the struct in points to.
func typeName(in any) string {
	t := reflect.TypeOf(in)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// goField returns the Go name of the field of *in whose AWS member name is
// member ("" when there is none).
func goField(in any, member string) string {
	t := reflect.TypeOf(in).Elem()
	for i := 0; i < t.NumField(); i++ {
		if MemberName(t.Field(i)) == member {
			return t.Field(i).Name
		}
	}
	return ""
}

// pageRowsEC2 cuts the store rows an action has read down to those that
// can be on the page in asks for, before it builds their views: the rows
// whose key is after the token's and, when no filter follows (unfiltered),
// only the first limit+1 of those in key order. It only saves work: the
// page and its token are still made from the views by pageEC2, and key
// must give a row the key its view has there.
func pageRowsEC2[R any](a *API, in ec2Pager, rows []R, key func(R) string, unfiltered bool) []R {
	p := in.ec2Paging()
	if p.MaxResults == nil && p.NextToken == "" {
		return rows
	}
	limit, after, _, err := ec2PageArgs(a, in)
	if err != nil {
		return rows // pageEC2 refuses the request
	}
	if !unfiltered {
		limit = len(rows)
	}
	page, _ := keysetPage(rows, key, after, limit+1)
	return page
}

// pageWindowEC2 is the keyset window a store query can read for in when
// nothing but the page itself narrows the rows (unfiltered): the key to
// start after and how many rows to read (one more than the page, to know
// whether another page follows). ok is false when in does not page or
// the rows are filtered afterwards: then the action reads all its rows.
func pageWindowEC2(a *API, in ec2Pager, unfiltered bool) (after string, n int, ok bool) {
	p := in.ec2Paging()
	if !unfiltered || (p.MaxResults == nil && p.NextToken == "") {
		return "", 0, false
	}
	limit, after, _, err := ec2PageArgs(a, in)
	if err != nil {
		return "", 0, false
	}
	return after, limit + 1, true
}
