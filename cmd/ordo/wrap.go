package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// defaultTextWidth is the width long errors are wrapped at when $COLUMNS
// does not say the terminal's.
const defaultTextWidth = 100

// textWidth is the width long text is wrapped at: $COLUMNS when it is a
// number of at least 40, else defaultTextWidth.
func textWidth() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n >= 40 {
		return n
	}
	return defaultTextWidth
}

// wrapText breaks s into lines of at most width characters at spaces,
// keeping the line breaks s has. Nothing is cut: a word longer than width
// (a URL) stays whole on a line of its own.
func wrapText(s string, width int) []string {
	var out []string
	for para := range strings.SplitSeq(strings.TrimRight(s, "\n"), "\n") {
		line, n := "", 0
		for _, word := range strings.Fields(para) {
			wn := utf8.RuneCountInString(word)
			if n > 0 && n+1+wn > width {
				out = append(out, line)
				line, n = "", 0
			}
			if n > 0 {
				line += " "
				n++
			}
			line += word
			n += wn
		}
		out = append(out, line)
	}
	return out
}

// writeWrapped writes s after prefix, wrapped so that each line fits in
// textWidth, the lines after the first indented to prefix's width.
func writeWrapped(w io.Writer, prefix, s string) {
	indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	for i, line := range wrapText(s, max(textWidth()-len(indent), 20)) {
		if i > 0 {
			prefix = indent
		}
		fmt.Fprintf(w, "%s%s\n", prefix, line)
	}
}

// maxErrorCell is the longest error shown inside a table cell.
const maxErrorCell = 80

// errorNotes collects the errors of a table too long for a cell, to print
// them whole after it: the cell names the note instead.
type errorNotes struct {
	notes []string
}

// cell returns msg for a table cell when it is short and one line, else a
// reference to the note that will hold it.
func (n *errorNotes) cell(msg string) string {
	if utf8.RuneCountInString(msg) <= maxErrorCell && !strings.Contains(msg, "\n") {
		return msg
	}
	for i, m := range n.notes {
		if m == msg { // an attempt's error is often its step's
			return fmt.Sprintf("error [%d] below", i+1)
		}
	}
	n.notes = append(n.notes, msg)
	return fmt.Sprintf("error [%d] below", len(n.notes))
}

// flush flushes tw, then writes the collected errors to w.
func (n *errorNotes) flush(tw *tabwriter.Writer, w io.Writer) error {
	if err := tw.Flush(); err != nil {
		return err
	}
	n.write(w)
	return nil
}

// write prints the collected errors, each whole and wrapped.
func (n *errorNotes) write(w io.Writer) {
	if len(n.notes) == 0 {
		return
	}
	fmt.Fprintln(w, "\nErrors")
	for i, msg := range n.notes {
		writeWrapped(w, fmt.Sprintf("  [%d] ", i+1), msg)
	}
}
