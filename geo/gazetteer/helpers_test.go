package gazetteer_test

import (
	"testing"

	"civmap/geo/gazetteer"
)

// national returns the national tree, loaded once per test binary.
func national(t testing.TB) *gazetteer.Gazetteer {
	t.Helper()
	g, err := gazetteer.National()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func linxiang(t testing.TB) *gazetteer.Gazetteer {
	t.Helper()
	g, err := gazetteer.Linxiang()
	if err != nil {
		t.Fatal(err)
	}
	return g
}
