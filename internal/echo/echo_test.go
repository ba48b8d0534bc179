package echo

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQuote(t *testing.T) {
	long := strings.Repeat("a", 10<<20)
	tests := []struct {
		name, in, quote, single, plain string
	}{
		{"plain name", "dev-1", `"dev-1"`, `'dev-1'`, `dev-1`},
		{"empty", "", `""`, `''`, `""`},
		{"newline", "a\nb", `"a\nb"`, `'a\nb'`, `"a\nb"`},
		{"ANSI escape", "\x1b[31mred", `"\x1b[31mred"`, `'\x1b[31mred'`, `"\x1b[31mred"`},
		{"quotes", `it's "x"`, `"it's \"x\""`, `'it\'s "x"'`, `"it's \"x\""`},
		{"invalid UTF-8", "a\xffb", `"a\xffb"`, `'a\xffb'`, `"a\xffb"`},
		{"space", "a b", `"a b"`, `'a b'`, `a b`},
		{"10 MB", long, `"` + long[:128] + `"…(10485760 bytes)`, `'` + long[:128] + `'…(10485760 bytes)`, `"` + long[:128] + `"…(10485760 bytes)`},
		{"cut at a rune start", strings.Repeat("a", 127) + "é" + "zz", `"` + strings.Repeat("a", 127) + `"…(131 bytes)`, `'` + strings.Repeat("a", 127) + `'…(131 bytes)`, `"` + strings.Repeat("a", 127) + `"…(131 bytes)`},
		{"129 bytes", strings.Repeat("b", 129), `"` + strings.Repeat("b", 128) + `"…(129 bytes)`, `'` + strings.Repeat("b", 128) + `'…(129 bytes)`, `"` + strings.Repeat("b", 128) + `"…(129 bytes)`},
		{"128 bytes kept whole", strings.Repeat("c", 128), `"` + strings.Repeat("c", 128) + `"`, `'` + strings.Repeat("c", 128) + `'`, strings.Repeat("c", 128)},
		{"printable UTF-8", "ïé", `"ïé"`, `'ïé'`, "ïé"},
		{"bidi override", "a\u202eb", `"a\u202eb"`, `'a\u202eb'`, `"a\u202eb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.quote, Quote(tt.in))
			assert.Equal(t, tt.quote, Quote([]byte(tt.in)))
			assert.Equal(t, tt.single, Single(tt.in))
			assert.Equal(t, tt.plain, Name(tt.in))
		})
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a\nb", "\x1b[2J", strings.Repeat("é", 40), "a\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Quote(s), Single(s), Name(s)} {
			if len(out) > 4*Limit+32 {
				t.Fatalf("echo of %d bytes is %d bytes", len(s), len(out))
			}
			for _, c := range []byte(out) {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("control byte %#x in %q", c, out)
				}
			}
		}
	})
}
