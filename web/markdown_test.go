package web

import "testing"

func TestMarkdown(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Hello", "<p>Hello</p>"},
		{"one\ntwo\n\nthree", "<p>one<br>two</p><p>three</p>"},
		{"**bold** and *it* and `x<y`", "<p><strong>bold</strong> and <em>it</em> and <code>x&lt;y</code></p>"},
		{"- a\n- **b**\n\n1. first\n2. second", "<ul><li>a</li><li><strong>b</strong></li></ul><ol><li>first</li><li>second</li></ol>"},
		{"intro\n- a\n1. b\nafter", "<p>intro</p><ul><li>a</li></ul><ol><li>b</li></ol><p>after</p>"},
		{"> quoted", "<blockquote>quoted</blockquote>"},
		{"## Heading", "<p><strong>Heading</strong></p>"},
		{"```\n<b>raw</b>\n```", "<pre><code>&lt;b&gt;raw&lt;/b&gt;\n</code></pre>"},
		{"[site](https://example.com/a?b=1&c=2)", `<p><a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">site</a></p>`},
		{"[mail](mailto:ann@example.com)", `<p><a href="mailto:ann@example.com" rel="nofollow noopener noreferrer">mail</a></p>`},
		// Never raw HTML, never a script address.
		{"<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"},
		{`<img src=x onerror="alert(1)">`, "<p>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</p>"},
		{"[click](javascript:alert(1))", "<p>click)</p>"},
		{"[click](JavaScript:alert(1))", "<p>click)</p>"},
		{"[x](data:text/html,<script>)", "<p>x</p>"},
		{"[x](/relative)", "<p>x</p>"},
		{`[x](https://e.com/"onmouseover="alert(1))`, `<p><a href="https://e.com/&#34;onmouseover=&#34;alert(1" rel="nofollow noopener noreferrer">x</a>)</p>`},
		{"**<b>**", "<p><strong>&lt;b&gt;</strong></p>"},
		{"unclosed **bold and `code and [link", "<p>unclosed **bold and `code and [link</p>"},
		{"a * b * c", "<p>a <em> b </em> c</p>"},
	} {
		if got := string(markdown(c.in)); got != c.want {
			t.Errorf("markdown(%q)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}
