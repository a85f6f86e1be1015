package store

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sqliteURIPath splits a file: URI as SQLite's sqlite3ParseUri does (with
// SQLITE_ALLOW_URI_AUTHORITY off, as in modernc.org/sqlite): the path, its
// %HH escapes decoded, runs to the first '?' or '#'; "%00" drops the rest
// of the path. It returns the path and the raw query.
func sqliteURIPath(uri string) (path, query string, ok bool) {
	if !strings.HasPrefix(uri, "file:") {
		return "", "", false
	}
	i := len("file:")
	switch {
	case strings.HasPrefix(uri[i:], "///"):
		i += 2
		if strings.HasPrefix(uri[i:], "///") {
			i++
		}
	case strings.HasPrefix(uri[i:], "//localhost/"):
		i += len("//localhost")
	}
	unhex := func(c byte) (byte, bool) {
		switch {
		case '0' <= c && c <= '9':
			return c - '0', true
		case 'a' <= c && c <= 'f':
			return c - 'a' + 10, true
		case 'A' <= c && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	var b []byte
	for i < len(uri) && uri[i] != '#' && uri[i] != '?' {
		c := uri[i]
		i++
		if c == '%' && i+1 < len(uri) {
			hi, ok1 := unhex(uri[i])
			lo, ok2 := unhex(uri[i+1])
			if ok1 && ok2 {
				i += 2
				c = hi<<4 | lo
				if c == 0 {
					for i < len(uri) && uri[i] != '#' && uri[i] != '?' {
						i++
					}
					continue
				}
			}
		}
		b = append(b, c)
	}
	if i < len(uri) && uri[i] == '?' {
		query = uri[i+1:]
		if j := strings.IndexByte(query, '#'); j >= 0 {
			query = query[:j]
		}
	}
	return string(b), query, true
}

// FuzzStoreURI: any absolute path becomes a URI that SQLite reads back as
// exactly that path, with exactly the given query, and that the driver
// splits at the same '?'. Names that can be one file are also created and
// opened through SQLite itself, which must report that very file.
func FuzzStoreURI(f *testing.F) {
	for _, s := range []string{"plink.db", "proj#1/plink.db", "c%20d", "m?mode=memory&x=", "%00", "%zz", "a?b#c%",
		"ünï/日本", "//host/x", "///x", "localhost/x", ":memory:", "file:x", "x&mode=memory", "\xff\xfe", " "} {
		f.Add(s)
	}
	const query = "_pragma=busy_timeout(1)&mode=ro"
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			return // absPath refuses a NUL: no file has one
		}
		path := filepath.Clean("/" + s)
		uri := fileURI(path, query)
		got, q, ok := sqliteURIPath(uri)
		if !ok || got != path || q != query {
			t.Fatalf("fileURI(%q) = %q, which SQLite reads as path %q query %q", path, uri, got, q)
		}
		if i := strings.IndexByte(uri, '?'); uri[i+1:] != query {
			t.Fatalf("fileURI(%q) = %q: the driver's query would be %q", path, uri, uri[i+1:])
		}
		if strings.IndexByte(uri, '#') >= 0 {
			t.Fatalf("fileURI(%q) = %q holds a '#'", path, uri)
		}

		// One file name: create it and ask SQLite which file it opened.
		if s == "" || s == "." || s == ".." || strings.Contains(s, "/") || len(s) > 255 {
			return
		}
		dir, err := filepath.EvalSymlinks(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, s)
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Skipf("the file system refuses the name %q: %v", s, err)
		}
		db, err := sql.Open("sqlite", fileURI(file, query))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var seq int
		var name, opened string
		if err := db.QueryRow("PRAGMA database_list").Scan(&seq, &name, &opened); err != nil {
			t.Fatalf("opening %q as %q: %v", file, fileURI(file, query), err)
		}
		if opened != file {
			t.Fatalf("opening %q as %q opened %q", file, fileURI(file, query), opened)
		}
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 1 {
			t.Fatalf("files after opening %q: %v %v", file, entries, err)
		}
	})
}
