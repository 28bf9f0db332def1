package delivery

import (
	"io"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// blockTags end a line of text.
var blockTags = map[string]bool{
	"p": true, "div": true, "br": true, "tr": true, "li": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "table": true, "ul": true, "ol": true, "blockquote": true, "hr": true,
}

var blankLines = regexp.MustCompile(`\n{3,}`)

// PlainText turns an HTML email body into its plain-text alternative:
// the text with block elements on their own lines, link targets written
// after their text ("Accept (https://…)"), scripts and styles dropped.
func PlainText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	var hrefs []string // a stack: links do not nest, but bad HTML might
	skip := 0          // depth inside <script>/<style>/<head>
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				return strings.TrimSpace(src)
			}
			return tidy(b.String())
		case html.TextToken:
			if skip == 0 {
				writeText(&b, string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title":
				skip++
			case "a":
				href := ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						href = string(v)
					}
				}
				hrefs = append(hrefs, href)
			}
			if blockTags[tag] {
				b.WriteByte('\n')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title":
				if skip > 0 {
					skip--
				}
			case "a":
				if n := len(hrefs); n > 0 {
					if href := hrefs[n-1]; href != "" && !strings.HasPrefix(href, "#") && !strings.HasPrefix(href, "mailto:") {
						b.WriteString(" (" + href + ")")
					}
					hrefs = hrefs[:n-1]
				}
			}
			if blockTags[tag] {
				b.WriteByte('\n')
			}
		}
	}
}

// writeText appends HTML text with its runs of white space collapsed to
// one space, as a browser renders them.
func writeText(b *strings.Builder, t string) {
	words := strings.Fields(t)
	if len(words) == 0 {
		if t != "" {
			space(b)
		}
		return
	}
	if t[0] == ' ' || t[0] == '\n' || t[0] == '\t' || t[0] == '\r' {
		space(b)
	}
	b.WriteString(strings.Join(words, " "))
	if last := t[len(t)-1]; last == ' ' || last == '\n' || last == '\t' || last == '\r' {
		b.WriteByte(' ')
	}
}

// space adds a space unless the text already ends a word.
func space(b *strings.Builder) {
	if s := b.String(); s != "" && s[len(s)-1] != ' ' && s[len(s)-1] != '\n' {
		b.WriteByte(' ')
	}
}

// tidy trims each line and keeps at most one blank line in a row.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}
