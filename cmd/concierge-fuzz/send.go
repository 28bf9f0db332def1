package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// request is one HTTP/1.1 request exactly as it goes on the wire: raw so
// that the fuzzer can send what net/http's client refuses to (bad
// percent-escapes, odd methods, duplicate or malformed headers).
type request struct {
	method string
	target string      // the request-target: path and query, unescaped as given
	header [][2]string // in order; Host, Content-Length and Connection are added unless set
	body   []byte
	route  string // the route pattern it was made from
	// mutations names what was done to the plausible request, for the
	// failure report.
	mutations []string
}

// has reports whether the request sets header name itself.
func (q *request) has(name string) bool {
	for _, h := range q.header {
		if strings.EqualFold(h[0], name) {
			return true
		}
	}
	return false
}

// set replaces header name (all of its values) with value.
func (q *request) set(name, value string) {
	q.del(name)
	q.header = append(q.header, [2]string{name, value})
}

func (q *request) del(name string) {
	kept := q.header[:0]
	for _, h := range q.header {
		if !strings.EqualFold(h[0], name) {
			kept = append(kept, h)
		}
	}
	q.header = kept
}

// wire renders the request; close asks the server to close after it.
func (q *request) wire(host string, close bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", q.method, q.target)
	if !q.has("Host") {
		fmt.Fprintf(&b, "Host: %s\r\n", host)
	}
	for _, h := range q.header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if !q.has("Content-Length") && !q.has("Transfer-Encoding") && (len(q.body) > 0 || q.method != "GET" && q.method != "HEAD") {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(q.body))
	}
	if close {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	return append([]byte(b.String()), q.body...)
}

// outcome is what came back.
type outcome struct {
	status int // 0 when no response was read
	body   []byte
	err    error // the connection failed: reset, closed, timed out
	// cut is set when the server closed the connection while the
	// request was still being written and answered nothing: its right
	// for bodies beyond its limits, so not a failure.
	cut bool
}

// conn is one worker's connection to the server, kept alive between
// requests and redialled when the server closes it.
type conn struct {
	target  *url.URL
	timeout time.Duration
	c       net.Conn
	r       *bufio.Reader
}

func (k *conn) dial() error {
	host := k.target.Host
	if k.target.Port() == "" {
		if k.target.Scheme == "https" {
			host += ":443"
		} else {
			host += ":80"
		}
	}
	d := net.Dialer{Timeout: k.timeout}
	var c net.Conn
	var err error
	if k.target.Scheme == "https" {
		c, err = tls.DialWithDialer(&d, "tcp", host, &tls.Config{ServerName: k.target.Hostname()})
	} else {
		c, err = d.Dial("tcp", host)
	}
	if err != nil {
		return err
	}
	k.c, k.r = c, bufio.NewReaderSize(c, 64<<10)
	return nil
}

func (k *conn) close() {
	if k.c != nil {
		k.c.Close()
		k.c = nil
	}
}

// do sends q and reads the answer. A request on a kept-alive connection
// that the server had already closed (idle) is retried once on a fresh
// one, so that only the server's answer to this request counts.
// A request still running when ctx ends is cut off then.
func (k *conn) do(ctx context.Context, q *request) outcome {
	reused := k.c != nil
	o := k.try(ctx, q)
	if o.err != nil && reused && o.status == 0 && !o.cut && !isTimeout(o.err) {
		o = k.try(ctx, q)
	}
	return o
}

func (k *conn) try(ctx context.Context, q *request) outcome {
	if k.c == nil {
		if err := k.dial(); err != nil {
			return outcome{err: fmt.Errorf("dial: %w", err)}
		}
	}
	// Requests whose framing is itself the mutation may leave the
	// connection unusable: those close it.
	closeAfter := q.has("Transfer-Encoding") || q.has("Content-Length") || q.method == "CONNECT"
	deadline := time.Now().Add(k.timeout)
	if end, ok := ctx.Deadline(); ok && end.Before(deadline) {
		deadline = end
	}
	k.c.SetDeadline(deadline)
	// Write and read at once: a server that answers early (413) and
	// closes must not lose its answer to our write failing.
	wrote := make(chan error, 1)
	data := q.wire(k.target.Host, closeAfter)
	go func() { _, err := k.c.Write(data); wrote <- err }()
	res, err := http.ReadResponse(k.r, &http.Request{Method: q.method})
	// Interim answers (100 Continue to an Expect) precede the real one.
	for err == nil && res.StatusCode >= 100 && res.StatusCode < 200 && res.StatusCode != http.StatusSwitchingProtocols {
		res, err = http.ReadResponse(k.r, &http.Request{Method: q.method})
	}
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(res.Body, 1<<20))
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	werr := <-wrote
	if err != nil {
		k.close()
		if res == nil {
			return outcome{err: err, cut: werr != nil && !isTimeout(err)}
		}
		if werr != nil || res.StatusCode >= 400 && res.StatusCode < 500 {
			// The server refused before reading all of the request and
			// closed on the rest, as it may: its status stands.
			return outcome{status: res.StatusCode}
		}
		return outcome{status: res.StatusCode, err: fmt.Errorf("reading the body: %w", err)}
	}
	if closeAfter || res.Close || werr != nil {
		k.close()
	}
	return outcome{status: res.StatusCode, body: body}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// dump renders q for a failure report, long parts shortened.
func (q *request) dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", q.method, short(q.target, 300))
	for _, h := range q.header {
		fmt.Fprintf(&b, "%s: %s\n", h[0], short(h[1], 200))
	}
	if len(q.body) > 0 {
		fmt.Fprintf(&b, "body (%d bytes): %s\n", len(q.body), short(string(q.body), 600))
	}
	return b.String()
}

// short quotes s, cut to n bytes.
func short(s string, n int) string {
	if len(s) <= n {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:n]) + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
