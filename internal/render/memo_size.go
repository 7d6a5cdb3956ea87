package render

// The estimates below approximate what Go allocates for decoded JSON: a map slot
// holds a 16-byte key header and a 16-byte interface, maps come in groups of
// eight slots, and a string, list or number in an interface is boxed. They need
// not be exact, only proportional, so that the memo's budget bounds its memory.
const (
	memoOverhead  = 160 // an entry: list element, map slot, key, sizes
	mapHeader     = 48
	mapSlot       = 36 // key and value headers, with a control byte and load-factor slack
	mapMinSlots   = 8
	boxedString   = 16
	boxedNumber   = 8
	sliceHeader   = 24
	sliceElement  = 16
	objectHeader  = 64 // an Object with its Unstructured
	fallbackBytes = 1 << 10
)

// sizeOf estimates the bytes a memoized result keeps alive.
func sizeOf(v any) int64 {
	switch v := v.(type) {
	case *evaluation:
		n := int64(len(v.requires) + len(v.preconditions))
		n += errSize(v.preconditionsErr) + errSize(v.renderErr)
		return n + sizeOf(v.result)
	case *statusEvaluation:
		n := int64(sliceHeader)
		for _, k := range v.finished {
			n += boxedString + int64(len(k))
		}
		return n + jsonSize(v.result)
	case *Result:
		if v == nil {
			return 0
		}
		n := int64(len(v.Resolved.Version) + len(v.Resolved.Image))
		for _, o := range v.Objects {
			n += objectHeader + int64(len(o.Key)) + jsonSize(o.Object.Object)
		}
		for key, refs := range v.SecretData {
			n += boxedString + int64(len(key))
			for dataKey, ref := range refs {
				n += 4*boxedString + int64(len(dataKey)+len(ref.Secret)+len(ref.Key)+len(ref.URI))
			}
		}
		return n
	case *Operation:
		return operationSize(v)
	case map[string]any:
		return jsonSize(v)
	case []byte:
		return sliceHeader + int64(len(v))
	default:
		return fallbackBytes
	}
}

// jsonSize estimates a value decoded from JSON into maps, slices and scalars.
func jsonSize(v any) int64 {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return 0
		}
		n := int64(mapHeader) + int64(max(len(v), mapMinSlots))*mapSlot
		for k, e := range v {
			n += int64(len(k)) + jsonSize(e)
		}
		return n
	case []any:
		n := int64(sliceHeader) + int64(cap(v))*sliceElement
		for _, e := range v {
			n += jsonSize(e)
		}
		return n
	case string:
		return boxedString + int64(len(v))
	case nil, bool:
		return 0
	default:
		return boxedNumber
	}
}

// operationSize estimates an evaluated operation: its maps and its strings.
func operationSize(op *Operation) int64 {
	n := jsonSize(op.SpecPatch) + int64(len(op.Message))
	for _, s := range op.Invalid {
		n += boxedString + int64(len(s))
	}
	for _, a := range op.Actions {
		n += objectHeader + int64(len(a.Name)) + jsonSize(a.Create)
		if a.Patch != nil {
			n += objectHeader + jsonSize(a.Patch.Merge)
		}
	}
	n += int64(len(op.Observe)) * (mapSlot + objectHeader)
	n += int64(len(op.Milestones)) * mapSlot
	return n
}

// errSize estimates an error kept with a result.
func errSize(err error) int64 {
	if err == nil {
		return 0
	}
	return fallbackBytes
}
