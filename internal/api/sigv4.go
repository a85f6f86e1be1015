package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// authInput is what a signature check needs beyond the request: the body.
type authInput struct{ body []byte }

// identity is a request's SigV4 credential and signature.
type identity struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
	amzDate                          string
	presigned                        bool
	expires                          int
	body                             []byte
}

const sigAlgorithm = "AWS4-HMAC-SHA256"

// parseIdentity reads the SigV4 Authorization header or the presigned
// query (X-Amz-Credential...). nil, nil: the request is unsigned.
func parseIdentity(r *http.Request, vals url.Values, ai *authInput) (*identity, *apiError) {
	id := &identity{}
	if ai != nil {
		id.body = ai.body
	}
	var cred, signed string
	if h := r.Header.Get("Authorization"); h != "" {
		rest, ok := strings.CutPrefix(h, sigAlgorithm+" ")
		if !ok {
			return nil, errf(400, "IncompleteSignature", "The Authorization header must use %s.", sigAlgorithm)
		}
		for _, part := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				cred = v
			case "SignedHeaders":
				signed = v
			case "Signature":
				id.signature = v
			}
		}
		id.amzDate = r.Header.Get("X-Amz-Date")
		if id.amzDate == "" {
			id.amzDate = r.Header.Get("Date")
		}
	} else if c := vals.Get("X-Amz-Credential"); c != "" {
		if vals.Get("X-Amz-Algorithm") != sigAlgorithm {
			return nil, errf(400, "IncompleteSignature", "X-Amz-Algorithm must be %s.", sigAlgorithm)
		}
		id.presigned = true
		cred, signed, id.signature, id.amzDate = c, vals.Get("X-Amz-SignedHeaders"), vals.Get("X-Amz-Signature"), vals.Get("X-Amz-Date")
		id.expires, _ = strconv.Atoi(vals.Get("X-Amz-Expires"))
	} else {
		return nil, nil
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" || signed == "" || id.signature == "" {
		return nil, errf(400, "IncompleteSignature", "The request signature is incomplete: Credential=AKID/date/region/service/aws4_request, SignedHeaders and Signature are required.")
	}
	id.accessKey, id.date, id.region, id.service = parts[0], parts[1], parts[2], parts[3]
	id.signedHeaders = strings.Split(signed, ";")
	return id, nil
}

// verify checks the request's signature with secret.
func verify(r *http.Request, id *identity, secret string, now time.Time) *apiError {
	t, err := time.Parse("20060102T150405Z", id.amzDate)
	if err != nil {
		return errf(400, "IncompleteSignature", "The request must carry X-Amz-Date (yyyyMMddTHHmmssZ).")
	}
	if id.presigned {
		if id.expires > 0 && now.After(t.Add(time.Duration(id.expires)*time.Second)) {
			return errf(403, "RequestExpired", "Request has expired.")
		}
	} else if d := now.Sub(t); d > 15*time.Minute || d < -15*time.Minute {
		return errf(403, "RequestExpired", "Signature expired: %s is now earlier or later than the 15 minutes around the server's time.", id.amzDate)
	}
	if p := r.Header.Get("X-Amz-Content-Sha256"); p != "" && p != "UNSIGNED-PAYLOAD" && !id.presigned && p != hexSHA(string(id.body)) {
		return errf(403, "SignatureDoesNotMatch", "The body does not match its X-Amz-Content-Sha256.")
	}
	want := signature(r, id, secret)
	if !hmac.Equal([]byte(want), []byte(id.signature)) {
		return errf(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return nil
}

func signature(r *http.Request, id *identity, secret string) string {
	scope := id.date + "/" + id.region + "/" + id.service + "/aws4_request"
	sts := sigAlgorithm + "\n" + id.amzDate + "\n" + scope + "\n" + hexSHA(canonicalRequest(r, id))
	k := hmacSHA([]byte("AWS4"+secret), id.date)
	k = hmacSHA(k, id.region)
	k = hmacSHA(k, id.service)
	k = hmacSHA(k, "aws4_request")
	return hex.EncodeToString(hmacSHA(k, sts))
}

func canonicalRequest(r *http.Request, id *identity) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(path + "\n")
	// query, without the signature
	q := r.URL.Query()
	var keys []string
	for k := range q {
		if k != "X-Amz-Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var qs []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			qs = append(qs, escape(k)+"="+escape(v))
		}
	}
	b.WriteString(strings.Join(qs, "&") + "\n")
	for _, h := range id.signedHeaders {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = r.Header.Get("Content-Length")
			if v == "" && r.ContentLength >= 0 {
				v = strconv.FormatInt(r.ContentLength, 10)
			}
		default:
			vs := r.Header.Values(h)
			for i := range vs {
				vs[i] = strings.Join(strings.Fields(vs[i]), " ")
			}
			v = strings.Join(vs, ",")
		}
		b.WriteString(h + ":" + v + "\n")
	}
	b.WriteString("\n" + strings.Join(id.signedHeaders, ";") + "\n")
	switch p := r.Header.Get("X-Amz-Content-Sha256"); {
	case p != "":
		b.WriteString(p)
	case id.presigned:
		b.WriteString("UNSIGNED-PAYLOAD")
	default:
		b.WriteString(hexSHA(string(id.body)))
	}
	return b.String()
}

// escape is SigV4's URI encoding (RFC 3986 unreserved characters kept).
func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(url.QueryEscape(s), "+", "%20"), "%7E", "~")
}

func hexSHA(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func hmacSHA(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}
