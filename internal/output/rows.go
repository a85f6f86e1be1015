package output

import (
	"bytes"
	"io"
)

// WriteRows prints rows of cells as a table under headers (none when
// headers is nil: the further rows of a watch), with the header line bold
// when color is on. It is for plink's own commands (get, events), whose
// rows are not one AWS answer; cells are escaped as in every table.
func WriteRows(w io.Writer, color bool, headers []string, rows [][]string) error {
	var buf bytes.Buffer
	if err := renderTable(&buf, color, headers, rows); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
