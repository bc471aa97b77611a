#!/usr/bin/env bash
# Build kr's bundled sample banks, named as Tidal tutorials use them, from Debian packages:
# sonic-pi-samples (CC0) and hydrogen-data's TR808 kit (GPL-2+, for the clap, clave and 808
# sounds Sonic Pi lacks). The banks are links to the installed files, in the Dirt-Samples layout
# (<folder>/<bank>/<files>), with a LICENSES file naming each file's source and licence.
#
#   scripts/make_samples.sh [DEST]     (default: $XDG_DATA_HOME/kr/samples, krd's default folder)
set -euo pipefail
dest="${1:-${XDG_DATA_HOME:-$HOME/.local/share}/kr/samples}"
sp=/usr/share/sonic-pi/samples
h2=/usr/share/hydrogen/data/drumkits/TR808EmulationKit
for d in "$sp" "$h2"; do
  [ -d "$d" ] || { echo "make samples: $d is missing (make deps installs sonic-pi-samples and hydrogen-data)" >&2; exit 1; }
done

# bank: files in `n` order (sonic pi names without .flac; 808/<name> for the TR808 kit).
declare -A banks=(
  [bd]="bd_haus bd_808 bd_ada bd_boom bd_fat bd_gas bd_klub bd_pure bd_sone bd_tek bd_zome bd_zum drum_heavy_kick drum_bass_hard drum_bass_soft 808/808_Kick_Long 808/808_Kick_Short"
  [sn]="sn_dolf sn_dub sn_generic sn_zome drum_snare_hard drum_snare_soft elec_snare"
  [sd]="elec_hi_snare elec_lo_snare elec_mid_snare elec_filt_snare 808/808_Snare_1 808/808_Snare_2"
  [hh]="drum_cymbal_closed drum_cymbal_pedal 808/808_Hat_Closed 808/808_Hat_Pedal elec_tick"
  [oh]="drum_cymbal_open 808/808_Hat_Open drum_cymbal_soft"
  [cp]="808/808_Clap perc_snap perc_snap2"
  [cb]="drum_cowbell 808/808_Cowbell"
  [lt]="drum_tom_lo_hard drum_tom_lo_soft 808/808_Tom_Low"
  [mt]="drum_tom_mid_hard drum_tom_mid_soft 808/808_Tom_Mid"
  [ht]="drum_tom_hi_hard drum_tom_hi_soft 808/808_Tom_Hi"
  [rim]="808/808_Clave elec_wood"
  [cy]="drum_cymbal_hard drum_splash_hard drum_splash_soft 808/808_Cymbal"
  [perc]="perc_bell perc_bell2 perc_door perc_impact1 perc_impact2 perc_swash perc_till 808/808_Conga 808/808_Shaker glitch_perc1 glitch_perc2 glitch_perc3 glitch_perc4 glitch_perc5"
  [drum]="drum_heavy_kick drum_snare_hard drum_cymbal_closed drum_cymbal_open drum_tom_lo_hard drum_tom_hi_hard"
  [bass]="bass_hit_c bass_hard_c bass_thick_c bass_dnb_f bass_drop_c bass_trance_c bass_voxy_c bass_voxy_hit_c bass_woodsy_c"
  [arpy]="elec_bell elec_chime elec_ping elec_blip elec_blip2 elec_beep elec_plip elec_pop elec_twang elec_triangle"
  [breaks]="loop_amen loop_amen_full loop_breakbeat loop_compus loop_industrial"
  [tabla]="tabla_dhec tabla_ghe1 tabla_ghe2 tabla_ke1 tabla_ke2 tabla_na tabla_na_o tabla_re tabla_tas1 tabla_te1 tabla_tun1"
  [ambi]="ambi_piano ambi_choir ambi_drone ambi_glass_hum ambi_lunar_land ambi_soft_buzz"
  [guitar]="guit_em9 guit_e_fifths guit_e_slide guit_harmonics"
  [vinyl]="vinyl_scratch vinyl_backspin vinyl_rewind vinyl_hiss"
)

mkdir -p "$dest"
licenses="$dest/LICENSES"
{
  echo "kr's bundled sample banks: links to files installed by Debian packages."
  echo "sonic-pi-samples: CC0 1.0 (upstream's README: all samples are from freesound.org under Creative"
  echo "  Commons 0; Debian's copyright file lists some later additions under its MIT stanza)."
  echo "hydrogen-data TR808EmulationKit: GPL-2+ (Hydrogen's drumkit.xml and debian/copyright)."
  echo
} >"$licenses"
count=0
for bank in $(printf '%s\n' "${!banks[@]}" | sort); do
  rm -rf "${dest:?}/$bank"
  mkdir -p "$dest/$bank"
  i=0
  for f in ${banks[$bank]}; do
    case "$f" in
      808/*) src="$h2/${f#808/}.flac"; licence="GPL-2+ (hydrogen-data, TR808EmulationKit)" ;;
      *) src="$sp/$f.flac"; licence="CC0-1.0 (sonic-pi-samples)" ;;
    esac
    [ -f "$src" ] || { echo "make samples: $src is missing" >&2; exit 1; }
    name=$(printf '%02d_%s.flac' "$i" "$(basename "${f#808/}")")
    ln -sf "$src" "$dest/$bank/$name"
    echo "$bank/$name <- $src: $licence" >>"$licenses"
    i=$((i + 1)); count=$((count + 1))
  done
done
echo "make samples: ${#banks[@]} banks, $count files in $dest"
