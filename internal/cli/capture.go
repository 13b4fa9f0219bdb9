package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxCapture bounds a captured request read by `caddy biohook verify`.
const maxCapture = 64 << 20

// capture is a raw HTTP/1.1 request read from a file, as a proxy or a
// packet capture saved it.
type capture struct {
	Request *http.Request
	Body    []byte
	Notes   []string // what the reader had to assume, for the user
}

var errNoRequest = errors.New("the input holds no HTTP request: want a request line, headers, a blank line, the body")

// readCapture parses data as one raw HTTP/1.1 request. Lines may end in
// CRLF or LF. The body is Content-Length bytes (or the chunks, when
// chunked); with neither, it is the rest of the input, exactly.
func readCapture(data []byte) (*capture, error) {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return nil, errNoRequest
	}
	br := bufio.NewReader(bytes.NewReader(data))
	r, err := http.ReadRequest(br)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoRequest, err)
	}
	c := &capture{Request: r}
	framed := r.ContentLength > 0 || len(r.TransferEncoding) > 0 || r.Header.Get("Content-Length") != ""
	if framed {
		c.Body, err = io.ReadAll(io.LimitReader(r.Body, maxCapture))
		if err != nil {
			return nil, fmt.Errorf("the body is shorter than its Content-Length or its chunks are broken (was the file edited?): %v", err)
		}
		if rest, _ := io.ReadAll(br); len(bytes.TrimSpace(rest)) > 0 {
			c.Notes = append(c.Notes, fmt.Sprintf("%d bytes after the body were ignored", len(rest)))
		}
	} else {
		c.Body, _ = io.ReadAll(io.LimitReader(br, maxCapture))
		if len(c.Body) > 0 {
			c.Notes = append(c.Notes, fmt.Sprintf("no Content-Length: the body is the rest of the input, %d bytes, a trailing newline included", len(c.Body)))
		}
	}
	r.Body = http.NoBody
	return c, nil
}
