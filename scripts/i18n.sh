#!/usr/bin/env bash
# The translation catalogs, managed with Babel's pybabel (run from the repository root, in the venv):
#   bash scripts/i18n.sh extract   # messages.pot from the sources (app.py, pages/, resnet_viz/)
#   bash scripts/i18n.sh update    # extract, then merge the template into every language's messages.po
#   bash scripts/i18n.sh compile   # messages.mo beside each .po (optional: the app compiles a .po in memory)
#   bash scripts/i18n.sh check     # every message translated, no fuzzy entry, same {placeholders} (CI runs this)
#   bash scripts/i18n.sh init xx   # a new language
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
LOCALES=resnet_viz/i18n/locales
POT=$LOCALES/messages.pot
KEYWORDS=(-k N_ -k Msg -k PluralMsg:1,2 -k ngettext:1,2)

extract() {
  "$PY" -m babel.messages.frontend extract -F babel.cfg "${KEYWORDS[@]}" --add-comments=TRANSLATORS: \
    --sort-by-file --no-wrap --project=resnet-viz --copyright-holder="resnet-viz authors" \
    --msgid-bugs-address="https://github.com/resnet-viz/resnet-viz/issues" -o "$POT" app.py pages resnet_viz
}

case "${1:-}" in
  extract) extract ;;
  update) extract
          "$PY" -m babel.messages.frontend update -i "$POT" -d "$LOCALES" -D messages --no-wrap --ignore-obsolete \
            --no-fuzzy-matching ;;
  compile) "$PY" -m babel.messages.frontend compile -d "$LOCALES" -D messages --statistics ;;
  check) "$PY" -m resnet_viz.i18n.check ;;
  init) "$PY" -m babel.messages.frontend init -i "$POT" -d "$LOCALES" -D messages -l "$2" --no-wrap ;;
  *) echo "usage: bash scripts/i18n.sh extract|update|compile|check|init LANG" >&2; exit 2 ;;
esac
