#!/usr/bin/env bash
# cli_protocols.sh - dosectl protocols [ID]: the built-in catalogue of SPEC 1,
# as JSON and in words; a clinic's own file; a malformed one.
. "$(dirname "$0")/lib.sh"

builtin='["b12-bariatric", "b12-cyano-label", "b12-ileal-resection", "b12-neuro", "b12-standard"]'

run_dosectl protocols --json
expect_status 0 "protocols --json: exit 0"
expect_json "[.[].id] | sort | contains($builtin)" "protocols --json: the five built-in protocols"
expect_json 'all(.[]; (.title | length > 0) and (.drug | length > 0) and (.dose | length > 0)
  and (.route | length > 0) and (.source | length > 0) and (.phases | length > 0))' \
  "protocols --json: each has title, drug, dose, route, source and phases"

run_dosectl protocols
expect_status 0 "protocols: exit 0"
missing=
for id in b12-standard b12-neuro b12-cyano-label b12-ileal-resection b12-bariatric; do
  grep -qE "(^|[^a-z0-9-])$id([^a-z0-9-]|\$)" "$E2E_OUT" || missing="$missing $id"
done
[ -z "$missing" ]
report $? "protocols: lists the five built-in protocols" "not listed:$missing"
cp "$E2E_OUT" "$E2E_TMP/list"

# Issue 12: dosed-protocols(5) says the list shows each protocol's source;
# and a source is the clinical one, never a file of the developers'
# ("via seeds/004_....txt" was in every built-in one).
run_dosectl protocols --json
jq -r '.[].source' "$E2E_OUT" >"$E2E_TMP/sources"
missing=
while IFS= read -r source; do
  grep -qF -- "source: $source" "$E2E_TMP/list" || missing="$missing
$source"
done <"$E2E_TMP/sources"
[ -s "$E2E_TMP/sources" ] && [ -z "$missing" ]
report $? "protocols: lists each protocol's source" "not listed:$missing"
! grep -qiE 'seeds?/|\.txt' "$E2E_TMP/list" "$E2E_OUT"
report $? "protocols: no source names a file" "$(grep -ihE 'seeds?/|\.txt' "$E2E_TMP/list" "$E2E_OUT")"
for id in b12-standard b12-neuro; do
  run_dosectl protocols "$id" --json
  expect_json '.source | startswith("NICE CKS (Anaemia - B12 and folate deficiency)")' \
    "protocols $id: cites NICE CKS by name"
done
run_dosectl protocols b12-cyano-label --json
expect_json '.source | startswith("FDA drug label")' "protocols b12-cyano-label: cites the drug label"

# Nor does any page, the README, the shipped files or a test name a seed
# file (the patterns are written so as not to match this line).
seed_file='seeds/[0-9]{3}_[0-9a-f]{16}'
found=$(cd "$DOSED_TOP" && grep -rlE "$seed_file" README.md man conf docs completion systemd \
  cli core daemon tests/e2e tests/unit tests/fuzz 2>/dev/null)
[ -z "$found" ]
report $? "no page, README, shipped file or test names a seed file" "named in: $found"

# SPEC 1's table, one protocol at a time.
run_dosectl protocols b12-standard --json
expect_status 0 "protocols b12-standard --json: exit 0"
expect_json '.id == "b12-standard" and .drug == "hydroxocobalamin" and .dose == "1 mg"
  and .route == "IM" and .grace_days == null' \
  "protocols b12-standard --json: hydroxocobalamin 1 mg IM, default grace"
expect_json '(.source | length > 0) and (.phases | length == 2)
  and all(.phases[]; has("name") and has("description") and has("pattern") and has("end")
    and .dose == "1 mg")' \
  "protocols b12-standard --json: a source and two phases of 1 mg"
expect_json '(.phases[0].description | test("3 per week") and test("mon"; "i") and test("wed"; "i")
    and test("fri"; "i") and test("6 doses"))
  and (.phases[1].description | test("every 2-3 months") and test("for life"))' \
  "protocols b12-standard --json: 3 per week (mon, wed, fri) for 6 doses, then every 2-3 months for life"
source=$(json_value .source)
loading=$(json_value '.phases[0].description')
maintenance=$(json_value '.phases[1].description')

run_dosectl protocols b12-standard
expect_status 0 "protocols b12-standard: exit 0"
expect_stdout_contains "$source" "protocols b12-standard: cites its source"
expect_stdout_contains "$loading" "protocols b12-standard: the loading phase in words"
expect_stdout_contains "$maintenance" "protocols b12-standard: the maintenance phase in words"
grep -qi hydroxocobalamin "$E2E_OUT" && grep -q "1 mg" "$E2E_OUT"
report $? "protocols b12-standard: names the drug and the dose"

run_dosectl protocols b12-neuro --json
expect_json '.drug == "hydroxocobalamin" and .dose == "1 mg" and (.phases | length == 2)
  and (.phases[0].description | test("alternate days|every 2 days") and test("until advanced"))
  and (.phases[1].description | test("every 2 months") and test("for life"))' \
  "protocols b12-neuro --json: alternate days until advanced, then every 2 months for life"

run_dosectl protocols b12-cyano-label --json
expect_json '.drug == "cyanocobalamin" and .dose == "100 mcg" and (.phases | length == 4)
  and (.phases[0].description | test("daily") and test("7 doses"))
  and (.phases[1].description | test("alternate days|every 2 days") and test("7 doses"))
  and (.phases[2].description | test("every 3-4 days") and test("3 weeks"))
  and (.phases[3].description | test("every (1 )?month") and test("for life"))' \
  "protocols b12-cyano-label --json: cyanocobalamin 100 mcg, its four phases"

run_dosectl protocols b12-ileal-resection --json
expect_json '.dose == "1000 mcg" and .route == "IM" and (.phases | length == 1)
  and (.phases[0].description | test("every (1 )?month") and test("for life"))' \
  "protocols b12-ileal-resection --json: 1000 mcg IM every month for life"

run_dosectl protocols b12-bariatric --json
expect_json '.dose == "1 mg" and .route == "IM" and (.phases | length == 1)
  and (.phases[0].description | test("every 3 months") and test("for life"))' \
  "protocols b12-bariatric --json: 1 mg IM every 3 months for life"

# A clinic's own file adds protocols and overrides built-in ones (SPEC 1).
write_config "$E2E_TMP/clinic.conf" "$E2E_DATA/clinic-v1.ini"
E2E_CONF=$E2E_TMP/clinic.conf run_dosectl protocols --json
expect_status 0 "a clinic protocol file: exit 0"
expect_json "([.[].id] | contains([\"clinic-weekly\"]) and contains($builtin))" \
  "a clinic protocol file: its protocol beside the built-in ones"
expect_json '.[] | select(.id == "clinic-weekly") | .grace_days == 2
  and (.phases[0].description | test("every (1 )?week"))' \
  "a clinic protocol file: its grace and its phase"

# A malformed protocol file: exit 1, and the message names file and line.
write_config "$E2E_TMP/bad.conf" "$E2E_DATA/bad-protocol.ini"
DB=$E2E_TMP/bad.db
E2E_CONF=$E2E_TMP/bad.conf run_dosectl protocols
expect_status 1 "a malformed protocol file: exit 1"
expect_one_error_line "a malformed protocol file: one error line naming file and line" \
  "bad-protocol\\.ini:8"

check_refused 1 "b12-nonesuch" "an unknown protocol" protocols b12-nonesuch
check_refused 2 "--help" "two protocol ids" protocols b12-standard b12-neuro
