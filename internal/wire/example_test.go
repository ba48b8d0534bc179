package wire_test

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ruledetect/ruledetect/internal/wire"
)

func ExampleReader() {
	b := binary.AppendUvarint(nil, 300)
	b = wire.AppendSection(b, "dev-01")
	b = append(b, 0x80, 0x00) // zero, written in two bytes

	r := wire.NewReader(b)
	n := r.Uvarint()
	name := r.Section(128)
	fmt.Println(n, string(name), r.Err())

	r.Uvarint()
	fmt.Println(r.Err(), errors.Is(r.Err(), wire.ErrNonMinimal))
	// Output:
	// 300 dev-01 <nil>
	// wire: non-minimal varint at byte 9 true
}
