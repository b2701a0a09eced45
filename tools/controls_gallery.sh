#!/usr/bin/env bash
# Makes the row of controlled results in media/gallery/controls/ (README, "Control the result"),
# each with one command line of the series in the cpu profile, and keeps what each run printed
# (its settings, the weights, the device and the time) in media/gallery/controls/runs.txt.
#
#   . .venv/bin/activate && bash tools/controls_gallery.sh
#
# About 8 minutes on a 2-core CPU with AMX-BF16. Existing results are replaced (--force).
set -euo pipefail
cd "$(dirname "$0")/.."
out=media/gallery/controls
mkdir -p "$out"
log="$out/runs.txt"
: >"$log"

paint() {  # paint OUTPUT_NAME ARGUMENTS...: one result, its printed lines appended to the log
  local name=$1
  shift
  echo "\$ python -m nst_cli $* -o $out/$name --profile cpu --seed 0 --force" >>"$log"
  python -m nst_cli "$@" -o "$out/$name" --profile cpu --seed 0 --force | tee -a "$log"
  echo >>"$log"
}

paint crab__great_wave.png media/crab.jpg media/great_wave.jpg
paint crab__great_wave__luminance.png media/crab.jpg media/great_wave.jpg --preserve-colors luminance
paint crab__great_wave__histogram.png media/crab.jpg media/great_wave.jpg --preserve-colors histogram
paint crab__starry_night+great_wave.png media/crab.jpg media/starry_night.jpg media/great_wave.jpg \
  --style-blend-weights 0.5 0.5
paint crab__starry_night__scale_0.5.png media/crab.jpg media/starry_night.jpg --style-scale 0.5
paint crab__starry_night__scale_2.png media/crab.jpg media/starry_night.jpg --style-scale 2
paint neuschwanstein__sky_starry_night.png media/neuschwanstein.jpg none media/starry_night.jpg \
  --mask media/masks/neuschwanstein_sky.png
