package certificate

import (
	"errors"
)

// Signing software on Windows often writes CMS in BER: indefinite lengths,
// and the content as a constructed OCTET STRING in chunks. encoding/asn1
// reads DER only, so normalizeBER rewrites such input with definite lengths
// and primitive OCTET STRINGs first. Input that is DER already comes out
// unchanged, byte for byte; in particular the signed attributes, which
// RFC 5652 requires in DER, keep the encoding their signature covers.

// maxBERDepth bounds the nesting of constructed values.
const maxBERDepth = 32

var errBER = errors.New("malformed BER")

// normalizeBER returns the DER-shaped encoding of the single value in b.
func normalizeBER(b []byte) ([]byte, error) {
	out, rest, err := berValue(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing data after the value")
	}
	return out, nil
}

// berValue reads one value from b and returns its re-encoding and what follows it.
func berValue(b []byte, depth int) (out, rest []byte, err error) {
	if depth > maxBERDepth {
		return nil, nil, errors.New("values nested too deeply")
	}
	if len(b) < 2 {
		return nil, nil, errBER
	}
	// Identifier octets.
	i := 1
	if b[0]&0x1f == 0x1f {
		for {
			if i >= len(b) {
				return nil, nil, errBER
			}
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	ident := b[:i]
	constructed := b[0]&0x20 != 0
	if i >= len(b) {
		return nil, nil, errBER
	}
	// Length octets.
	l := int(b[i])
	i++
	indefinite := false
	switch {
	case l == 0x80:
		if !constructed {
			return nil, nil, errBER
		}
		indefinite = true
	case l > 0x80:
		n := l & 0x7f
		if n > 4 || i+n > len(b) {
			return nil, nil, errBER
		}
		l = 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		i += n
	}
	body := b[i:]
	if !constructed {
		if l > len(body) {
			return nil, nil, errBER
		}
		return encodeTLV(ident, body[:l]), body[l:], nil
	}
	if !indefinite {
		if l > len(body) {
			return nil, nil, errBER
		}
		rest = body[l:]
		body = body[:l]
	}
	var children [][]byte
	for {
		if indefinite {
			if len(body) >= 2 && body[0] == 0 && body[1] == 0 {
				rest = body[2:]
				break
			}
			if len(body) == 0 {
				return nil, nil, errBER
			}
		} else if len(body) == 0 {
			break
		}
		var child []byte
		child, body, err = berValue(body, depth+1)
		if err != nil {
			return nil, nil, err
		}
		children = append(children, child)
	}
	// A constructed OCTET STRING (universal 4) becomes a primitive one
	// holding its chunks in order.
	if len(ident) == 1 && ident[0] == 0x24 {
		var content []byte
		for _, c := range children {
			if len(c) == 0 || c[0] != 0x04 {
				return nil, nil, errors.New("a constructed OCTET STRING holds something else")
			}
			_, v := splitTLV(c)
			content = append(content, v...)
		}
		return encodeTLV([]byte{0x04}, content), rest, nil
	}
	var content []byte
	for _, c := range children {
		content = append(content, c...)
	}
	return encodeTLV(ident, content), rest, nil
}

// splitTLV returns the header length and the contents of a DER value produced by encodeTLV.
func splitTLV(v []byte) (int, []byte) {
	i := 1
	if v[0]&0x1f == 0x1f {
		for v[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if v[i] < 0x80 {
		return i + 1, v[i+1:]
	}
	n := int(v[i] & 0x7f)
	return i + 1 + n, v[i+1+n:]
}

// encodeTLV encodes identifier octets, a minimal definite length and the contents.
func encodeTLV(ident, content []byte) []byte {
	out := make([]byte, 0, len(ident)+5+len(content))
	out = append(out, ident...)
	n := len(content)
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n <= 0xff:
		out = append(out, 0x81, byte(n))
	case n <= 0xffff:
		out = append(out, 0x82, byte(n>>8), byte(n))
	case n <= 0xffffff:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		out = append(out, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, content...)
}
