#!/usr/bin/env bash
# Regenerates the sample images in samples/images with ImageMagick (Debian's imagemagick package).
# They are synthetic and benign (fractal noise, gradients, shapes): a photo-like original, four
# near-duplicates of it, an unrelated image, and a flat image whose PDQ quality is 0.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p images
cd images
convert -seed 42 -size 640x480 plasma:steelblue-khaki -blur 0x1 -strip -quality 88 plasma.jpg
convert plasma.jpg -resize 320x240 -strip -quality 60 plasma-small.jpg
convert plasma.jpg -rotate 90 -strip -quality 88 plasma-rotated.jpg
convert plasma.jpg -flop -strip -quality 80 plasma-mirrored.jpg
convert plasma.jpg -modulate 108,140 -strip -quality 85 plasma-vivid.jpg
convert -size 320x320 radial-gradient:gold-navy -swirl 200 \
  -fill none -stroke white -strokewidth 5 -draw 'circle 160,160 160,80' -colors 64 -strip PNG8:swirl.png
convert -size 320x240 xc:'#7f7f7f' -strip flat-grey.png
