package report

import (
	"unsafe"
)

// object reads the members of one object. Every rule about keys but their
// spellings is here: a key repeated (also as long + short) rejects the
// report, and an unknown key is skipped and recorded, or rejects the report
// where the object is strict (see walk.go). A walker matches the keys
// itself, in a switch on their constant spellings, which the compiler turns
// into a few integer compares; a table of spellings cost a JSON report's
// port 50% more.
//
//	var o object
//	if err := o.begin(d, s, ""); err != nil { return err }
//	for o.next() {
//		switch string(o.key) {
//		case "port", "pt":
//			if err := o.known(fPort, "port", "pt"); err != nil { return err }
//			... // read the value
//		default:
//			if err := o.unknown(); err != nil { return err }
//		}
//	}
//	if o.err != nil { return o.err }
//
// While a known key's value is read, the key is on the path; next takes it
// off. The first error reading keys stops the loop and stays in err, as
// in bufio.Scanner.
type object struct {
	d *Decoder
	s source
	// key is the member name next read, valid until the next call on s.
	key []byte
	// want, in a strict object, lists its keys for the message that
	// rejects an unknown one; it is empty in a lenient object.
	want string
	// seen has bit f set once the field with bit f was read (known).
	seen uint8
	// depth is the path's length inside the object, without a key.
	depth int
	err   error
}

// begin consumes the start of an object from s, strict when want is not
// empty. o is a new, zero object of the walker's; begin sets its fields in
// place, because an object returned by value was copied through memory,
// and the copy, with a second zeroing, cost a report's port a few
// nanoseconds.
func (o *object) begin(d *Decoder, s source, want string) error {
	o.d, o.s, o.want, o.depth = d, s, want, d.path.n
	return s.beginObject()
}

// next reads the next member's key into o.key, and reports whether there
// is one; at the end of the object, or at an error (in o.err), it reports
// false. It inlines (TestInlining): called out of line it cost a report a
// fifth more.
func (o *object) next() bool {
	o.d.path.n = o.depth // takes the previous key off
	var ok bool
	o.key, ok, o.err = o.s.key()
	return ok
}

// unknown handles the key in hand as one the walker does not know: a
// strict object rejects the report, a lenient one skips the value and
// records it in Dropped.
func (o *object) unknown() error {
	if o.want != "" {
		return o.d.unknownKey(o.key, o.want)
	}
	return o.ignore()
}

// known accepts the key just read as field f: it puts it on the path,
// spelt as the constant long or short it equals (the two differ in
// length), and rejects
// it if the field with bit f was already read.
func (o *object) known(f uint8, long, short string) error {
	o.d.path.pushKnown(o.key, long, short)
	if o.seen&f != 0 {
		return walkError("duplicate key")
	}
	o.seen |= f
	return nil
}

// knownString accepts the key just read as field f whose value is a string
// that no metric uses (a port's or a connection's interface), and reads it.
func (o *object) knownString(f uint8, long, short string) error {
	if err := o.known(f, long, short); err != nil {
		return err
	}
	_, err := o.s.str()
	return err
}

// saw reports whether the object had a field of the bits f.
func (o *object) saw(f uint8) bool { return o.seen&f != 0 }

// unknownKey rejects the unknown key k, naming it in the path.
func (d *Decoder) unknownKey(k []byte, want string) error {
	d.path.pushKey(string(k))
	return walkError("unknown key (want " + want + ")")
}

// ignore skips the value of the unknown key in hand and records it in
// Dropped. The key goes on the path from scratch space the Decoder reuses
// (the path copies it only for a listed drop or an error), so a report of a
// million unknown keys allocates nothing per key.
func (o *object) ignore() error {
	d := o.d
	d.unknown = append(d.unknown[:0], o.key...)
	d.path.pushKey(unsafe.String(unsafe.SliceData(d.unknown), len(d.unknown)))
	d.drop("", "unknown key ignored")
	if err := o.s.skip(); err != nil {
		return err
	}
	d.path.pop()
	return nil
}
