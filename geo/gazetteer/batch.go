package gazetteer

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"civmap"
)

// ReadBatch decodes the body of a batch request, a JSON array of address strings, for
// POST /api/v1/geocode. It reads at most MaxBatchBytes+1 bytes of r. It returns an ETOOLARGE
// *civmap.Error (HTTP 413) for a body over MaxBatchBytes or an array over MaxBatch addresses,
// and an EINVALID one (HTTP 400) for anything but a JSON array of strings; a null element
// becomes "" and gets its own per-item error from GeocodeBatch.
func ReadBatch(r io.Reader) ([]string, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBatchBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBatchBytes {
		return nil, civmap.Errorf(civmap.ETOOLARGE, "batch body is over the limit of %d bytes", MaxBatchBytes)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		return nil, civmap.Errorf(civmap.EINVALID, "batch body must be a JSON array of address strings")
	}
	var texts []string
	if err := json.Unmarshal(b, &texts); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, civmap.Errorf(civmap.EINVALID, "batch body must be a JSON array of address strings: element of type %s", te.Value)
		}
		return nil, civmap.Errorf(civmap.EINVALID, "batch body is not valid JSON: %v", err)
	}
	if len(texts) > MaxBatch {
		return nil, civmap.Errorf(civmap.ETOOLARGE, "batch holds %d addresses, over the limit of %d", len(texts), MaxBatch)
	}
	return texts, nil
}
