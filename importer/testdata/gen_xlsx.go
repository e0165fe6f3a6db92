//go:build ignore

// gen_xlsx writes sites.xlsx from sites_utf8.csv: go run importer/testdata/gen_xlsx.go
package main

import (
	"encoding/csv"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
)

func main() {
	b, err := os.ReadFile("importer/testdata/sites_utf8.csv")
	if err != nil {
		panic(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff"))).ReadAll()
	if err != nil {
		panic(err)
	}
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "阵地")
	for i, rec := range recs {
		for j, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			f.SetCellValue("阵地", cell, v)
		}
	}
	if err := f.SaveAs("importer/testdata/sites.xlsx"); err != nil {
		panic(err)
	}
}
