# civmap — the two commands of the README are `make run` and `make test`.
GO ?= go
VENDOR := web/static/vendor
MAPLIBRE := web/node_modules/maplibre-gl/dist

.PHONY: run test build web bench deps clean

## run: serve Linxiang's network with demo data on the embedded store at http://127.0.0.1:8080
run: web
	$(GO) run ./cmd/civmap serve --demo

## test: every test (PostGIS tests run when CIVMAP_TEST_DATABASE_URL is set; .ci/run sets it)
test: web deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

## build: the civmap binary in bin/
build: web
	$(GO) build -o bin/civmap ./cmd/civmap

## web: install MapLibre GL JS from npm (pinned by web/package-lock.json) into web/static/vendor
web: $(VENDOR)/maplibre-gl.js

$(VENDOR)/maplibre-gl.js: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp $(MAPLIBRE)/maplibre-gl.js $(MAPLIBRE)/maplibre-gl.css $(VENDOR)/
	cp $(MAPLIBRE)/LICENSE.txt $(VENDOR)/MAPLIBRE-LICENSE.txt
	touch $@

## deps: install the programs the tests talk to (zbarimg, chromium, poppler, a CJK font)
deps:
	scripts/test-deps

## bench: the benchmarks named in the README
bench: web
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin $(VENDOR) web/node_modules
