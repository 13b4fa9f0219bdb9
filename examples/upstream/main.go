// Command upstream is a demo application for the examples: it prints every
// request it receives (the normalised events biohook forwards) and answers
// 200. Listen address: -listen, default localhost:9000.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sort"
)

func main() {
	listen := flag.String("listen", "localhost:9000", "address to listen on")
	flag.Parse()
	log.Printf("demo upstream listening on %s", *listen)
	log.Fatal(http.ListenAndServe(*listen, http.HandlerFunc(printRequest)))
}

func printRequest(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	fmt.Fprintf(os.Stdout, "\n%s %s\n", r.Method, r.URL.RequestURI())
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(os.Stdout, "%s: %s\n", k, r.Header.Get(k))
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		fmt.Fprintf(os.Stdout, "\n%s\n", pretty.Bytes())
	} else {
		fmt.Fprintf(os.Stdout, "\n(%d bytes, not JSON)\n", len(body))
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"received":true}`)
}
