package gazetteer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"civmap"
	"civmap/geo/gazetteer"
)

func TestReadBatch(t *testing.T) {
	texts, err := gazetteer.ReadBatch(strings.NewReader(` ["临湘市羊楼司镇", "", null, "` + strings.Repeat("临", 2000) + `"] `))
	if err != nil || len(texts) != 4 {
		t.Fatalf("ReadBatch: %v %v", texts, err)
	}
	res, err := linxiang(t).GeocodeBatch(texts)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Code != "430682114" || res[1].ErrorCode != civmap.EINVALID || res[2].ErrorCode != civmap.EINVALID || res[3].ErrorCode != civmap.ETOOLARGE {
		t.Errorf("batch results: %+v", res)
	}
	many, _ := json.Marshal(make([]string, gazetteer.MaxBatch+1))
	for _, c := range []struct{ body, code string }{
		{string(many), civmap.ETOOLARGE},
		{"[\"" + strings.Repeat("x", gazetteer.MaxBatchBytes) + "\"]", civmap.ETOOLARGE},
		{`{"q": "临湘"}`, civmap.EINVALID},
		{`[1, 2]`, civmap.EINVALID},
		{`["临湘"`, civmap.EINVALID},
		{``, civmap.EINVALID},
	} {
		if _, err := gazetteer.ReadBatch(strings.NewReader(c.body)); civmap.ErrorCode(err) != c.code {
			t.Errorf("ReadBatch(%.30q) = %v, want %s", c.body, err, c.code)
		}
	}
}
