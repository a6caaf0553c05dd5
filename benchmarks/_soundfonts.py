"""Notes of General MIDI instruments rendered from three sampled soundfonts.

A genuinely hierarchical task of real sampled sounds: the 128 melodic General
MIDI programs fall into 16 families of 8 (Piano 0-7, Chromatic Percussion
8-15, ..., Sound Effects 120-127). :func:`load_gm_notes` renders, for every
chosen program, the same seeded list of notes from each of three soundfonts
that Debian ships, three independent recordings of every instrument (three
"devices"):

* ``FluidR3_GM`` (package ``fluid-soundfont-gm``, 148 MB .sf2),
* ``TimGM6mb`` (``timgm6mb-soundfont``, 6 MB .sf2),
* ``MuseScore_General_Lite`` (``musescore-general-soundfont-small``, 40 MB
  .sf3, its samples Ogg Vorbis compressed; FluidSynth built with libsndfile,
  as Debian's is, reads it).

**Fetching** (nothing is installed, nothing needs root): ``apt-get download``
fetches the three soundfont packages and ``dpkg -x`` unpacks them into the
cache folder (``$SKAUDIO_BENCHMARK_CACHE``, default
``~/.cache/skaudio-benchmarks/soundfonts``). The renderer is the
``fluidsynth`` command line: the one on ``PATH`` if there is one, otherwise
the packages that ``apt-get install --simulate --no-install-recommends
fluidsynth`` says this machine lacks (fluidsynth, libfluidsynth3, libsndfile1,
libsdl2, libpulse0, the codecs, ...) are downloaded and unpacked the same way
and the unpacked binary runs with ``LD_LIBRARY_PATH`` pointing into them.
Anything that fails raises :class:`SoundfontsUnavailable`, whose message says
why (the benchmark then exits as skipped).

**Rendering** is deterministic and fast: note ``i`` of program ``p`` draws
its pitch (MIDI 48-72, C3-C5, a range every melodic GM instrument plays),
velocity (50-127) and held duration (0.25-0.75 s) from
``np.random.default_rng([seed, p, i])``, so every soundfont plays the same
notes and the soundfont is the only difference. One MIDI file (written here,
no dependency) holds every note of every program on channel 1 (never the drum
channel 10), a note every 1.5 s, each followed by "all sound off" 1.3 s after
its onset so that no release tail reaches the next note; FluidSynth renders it
once per soundfont (``-F``, 16 kHz, reverb and chorus off, float output), and
the render is cut into clips of ``duration`` seconds starting at each note-on.
The clips (float32, mono) are cached as .npz in the cache folder, keyed by the
parameters and the soundfont file. Audio never goes into the repository.

**Classes.** Fine = instruments: ``programs_per_family`` programs of each
family, at offsets 0, 4, 2, 6, 1, 5, 3, 7 within the family in that order (2
per family: the family's first and fifth program, e.g. Acoustic Grand Piano and
Electric Piano 1, Violin and Tremolo Strings; 32 instruments in all); coarse =
the family.
"""

import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("SKAUDIO_BENCHMARK_CACHE",
                            Path.home() / ".cache" / "skaudio-benchmarks")) / "soundfonts"

#: soundfont ("device") name -> Debian package
SOUNDFONTS = {
    "FluidR3_GM": "fluid-soundfont-gm",
    "TimGM6mb": "timgm6mb-soundfont",
    "MuseScore_General_Lite": "musescore-general-soundfont-small",
}

FAMILIES = ("Piano", "Chromatic Percussion", "Organ", "Guitar", "Bass", "Strings",
            "Ensemble", "Brass", "Reed", "Pipe", "Synth Lead", "Synth Pad",
            "Synth Effects", "Ethnic", "Percussive", "Sound Effects")

PROGRAMS = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano",
    "Honky-tonk Piano", "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba", "Xylophone",
    "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ",
    "Accordion", "Harmonica", "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)",
    "Electric Guitar (clean)", "Electric Guitar (muted)", "Overdriven Guitar",
    "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass",
    "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass", "Tremolo Strings", "Pizzicato Strings",
    "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2",
    "Choir Aahs", "Voice Oohs", "Synth Voice", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section",
    "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn",
    "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle",
    "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)",
    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)",
    "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)",
    "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom",
    "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring",
    "Helicopter", "Applause", "Gunshot",
)
assert len(PROGRAMS) == 128 and len(FAMILIES) == 16

#: the order in which programs of a family are chosen
FAMILY_OFFSETS = (0, 4, 2, 6, 1, 5, 3, 7)
PITCHES = (48, 72)        # MIDI note numbers, inclusive
VELOCITIES = (50, 127)
HELD_SECONDS = (0.25, 0.75)
SPACING = 1.5             # seconds from one note-on to the next
SILENCE_AFTER = 1.3       # "all sound off" this long after each note-on


class SoundfontsUnavailable(RuntimeError):
    """The soundfonts or the renderer could not be fetched or run here."""


def family(program):
    """The GM family of a program number (0-127)."""
    return FAMILIES[program // 8]


def choose_programs(programs_per_family=2, families=None):
    """The programs of the fine classes: ``programs_per_family`` of each family."""
    families = range(16) if families is None else families
    if not 1 <= programs_per_family <= 8:
        raise ValueError("programs_per_family must be between 1 and 8")
    return sorted(8 * f + o for f in families for o in FAMILY_OFFSETS[:programs_per_family])


def draw_notes(programs, n_notes, seed):
    """(program, pitch, velocity, held seconds) of every note, in rendering order."""
    notes = []
    for p in programs:
        for i in range(n_notes):
            rng = np.random.default_rng([seed, p, i])
            notes.append((p, int(rng.integers(PITCHES[0], PITCHES[1] + 1)),
                          int(rng.integers(VELOCITIES[0], VELOCITIES[1] + 1)),
                          float(rng.uniform(*HELD_SECONDS))))
    return notes


# --- a minimal Standard MIDI File writer ---------------------------------------------

def _varlen(value):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def write_midi(path, notes, *, channel=0):
    """A format-0 MIDI file playing ``notes`` one at a time, ``SPACING`` s apart.

    One tick is one millisecond (division 1000 at 60 bpm). Before each program's
    first note: a program change; after each note: "all sound off" (CC 120).
    """
    ms = lambda s: int(round(1000 * s))  # noqa: E731
    events = []  # (tick, order, bytes)
    current = None
    for k, (program, pitch, velocity, held) in enumerate(notes):
        start = ms(k * SPACING)
        if program != current:
            events.append((max(start - 50, 0), 0, bytes([0xC0 | channel, program])))
            current = program
        events.append((start, 1, bytes([0x90 | channel, pitch, velocity])))
        events.append((start + ms(held), 2, bytes([0x80 | channel, pitch, 0])))
        events.append((start + ms(SILENCE_AFTER), 3, bytes([0xB0 | channel, 120, 0])))
    end = ms(len(notes) * SPACING)
    events.sort(key=lambda e: (e[0], e[1]))
    track = bytearray(b"\x00\xff\x51\x03" + (1_000_000).to_bytes(3, "big"))  # 60 bpm
    tick = 0
    for t, _, data in events:
        track += _varlen(t - tick) + data
        tick = t
    track += _varlen(end - tick) + b"\xff\x2f\x00"  # end of track at the last slot's end
    Path(path).write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 1000)
                           + b"MTrk" + struct.pack(">I", len(track)) + bytes(track))


# --- fetching ---------------------------------------------------------------------------

def _run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def _fetch_packages(packages, folder, log):
    """``apt-get download`` + ``dpkg -x`` each package into ``folder`` (once)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / ".unpacked"
    if done.exists() and set(json.loads(done.read_text())) >= set(packages):
        return
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise SoundfontsUnavailable("apt-get and dpkg are needed to fetch the soundfonts "
                                    "and the renderer (a Debian-based machine)")
    debs = folder / "debs"
    debs.mkdir(exist_ok=True)
    log(f"downloading {' '.join(packages)} into {debs}")
    result = _run(["apt-get", "download", *packages], cwd=debs)
    if result.returncode != 0 and hasattr(os, "geteuid") and os.geteuid() == 0:
        _run(["apt-get", "update"])  # an empty or stale package list
        result = _run(["apt-get", "download", *packages], cwd=debs)
    if result.returncode != 0:
        raise SoundfontsUnavailable(f"apt-get download {' '.join(packages)} failed: "
                                    f"{result.stderr.strip()[-500:]}")
    for deb in sorted(debs.glob("*.deb")):
        result = _run(["dpkg", "-x", str(deb), str(folder / "root")])
        if result.returncode != 0:
            raise SoundfontsUnavailable(f"dpkg -x {deb.name} failed: {result.stderr.strip()}")
        deb.unlink()  # the unpacked files are what is used
    done.write_text(json.dumps(sorted(packages)))


def fetch_soundfonts(cache=CACHE, log=print):
    """Soundfont name -> path of its .sf2/.sf3 file, fetched into ``cache`` if needed."""
    cache = Path(cache)
    paths = {}
    for name, package in SOUNDFONTS.items():
        folder = cache / package
        _fetch_packages([package], folder, log)
        found = sorted(p for p in (folder / "root").rglob("*")
                       if p.suffix.lower() in (".sf2", ".sf3") and p.is_file())
        if not found:
            raise SoundfontsUnavailable(f"no .sf2/.sf3 file in the package {package}")
        paths[name] = max(found, key=lambda p: p.stat().st_size)
    return paths


class Renderer:
    """The ``fluidsynth`` command line, from ``PATH`` or unpacked into the cache."""

    def __init__(self, cache=CACHE, log=print):
        self.env = dict(os.environ)
        system = shutil.which("fluidsynth")
        if system is not None:
            self.binary = system
        else:
            folder = Path(cache) / "fluidsynth"
            missing = self._missing_packages()
            _fetch_packages(missing, folder, log)
            self.binary = str(folder / "root" / "usr" / "bin" / "fluidsynth")
            libs = sorted({str(p.parent) for p in (folder / "root").rglob("*.so*")})
            self.env["LD_LIBRARY_PATH"] = os.pathsep.join(
                libs + [v for v in [os.environ.get("LD_LIBRARY_PATH")] if v])
        result = _run([self.binary, "--version"], env=self.env)
        if result.returncode != 0:
            lacking = _run(["ldd", self.binary], env=self.env).stdout
            lacking = [line.split()[0] for line in lacking.splitlines() if "not found" in line]
            raise SoundfontsUnavailable(
                f"{self.binary} does not run: {result.stderr.strip()[-300:]}"
                + (f" (libraries not found: {', '.join(lacking)})" if lacking else ""))
        self.version = result.stdout.splitlines()[0].strip()

    @staticmethod
    def _missing_packages():
        """The packages that installing fluidsynth would add on this machine."""
        if shutil.which("apt-get") is None:
            raise SoundfontsUnavailable("no fluidsynth on PATH and no apt-get to fetch it")
        result = _run(["apt-get", "install", "--simulate", "--no-install-recommends",
                       "fluidsynth"])
        if result.returncode != 0 and hasattr(os, "geteuid") and os.geteuid() == 0:
            _run(["apt-get", "update"])
            result = _run(["apt-get", "install", "--simulate", "--no-install-recommends",
                           "fluidsynth"])
        if result.returncode != 0:
            raise SoundfontsUnavailable("apt-get cannot resolve fluidsynth: "
                                        f"{result.stderr.strip()[-300:]}")
        packages = [line.split()[1] for line in result.stdout.splitlines()
                    if line.startswith("Inst ")]
        # the soundfont it depends on is fetched on its own
        packages = [p for p in packages if p not in SOUNDFONTS.values()]
        return packages or ["fluidsynth"]

    def render(self, soundfont, midi, sr):
        """Mono float32 samples of ``midi`` played with ``soundfont`` at ``sr`` Hz."""
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out.raw"
            result = _run([self.binary, "-n", "-i", "-q", "-R", "0", "-C", "0",
                           "-r", str(sr), "-T", "raw", "-O", "float", "-E", "little",
                           "-o", "synth.cpu-cores=1", "-F", str(out), str(soundfont),
                           str(midi)], env=self.env)
            if result.returncode != 0 or not out.exists():
                raise SoundfontsUnavailable(
                    f"fluidsynth could not render with {Path(soundfont).name}: "
                    f"{(result.stderr or result.stdout).strip()[-300:]}")
            stereo = np.fromfile(out, dtype="<f4").reshape(-1, 2)
        return stereo.mean(axis=1).astype(np.float32)


def render_notes(renderer, soundfont, notes, *, sr, duration):
    """Clips of ``duration`` s, one per note, from one rendering of all ``notes``."""
    with tempfile.TemporaryDirectory() as tmp:
        midi = Path(tmp) / "notes.mid"
        write_midi(midi, notes)
        audio = renderer.render(soundfont, midi, sr)
    n = int(round(duration * sr))
    step = SPACING * sr
    audio = np.pad(audio, (0, max(0, int(round((len(notes) - 1) * step)) + n - audio.size)))
    return np.stack([audio[int(round(k * step)):int(round(k * step)) + n]
                     for k in range(len(notes))])


def load_gm_notes(n_notes=24, programs_per_family=2, *, families=None, soundfonts=None,
                  sr=16000, duration=1.0, seed=0, cache=CACHE, log=print):
    """The rendered notes of the chosen GM instruments from each soundfont.

    Returns a dict: ``data`` (n, duration * sr) float32 mono clips, ``target``
    (instrument names, the fine classes), ``coarse_target`` (family names),
    ``device`` (soundfont names), ``program``, ``pitch``, ``velocity``,
    ``held`` (seconds), ``hierarchy`` (instrument -> family), ``sr``,
    ``renderer`` (FluidSynth's version) and ``soundfont_files``.
    Raises :class:`SoundfontsUnavailable` when fetching or rendering fails.
    """
    cache = Path(cache)
    soundfonts = list(SOUNDFONTS) if soundfonts is None else list(soundfonts)
    programs = choose_programs(programs_per_family, families)
    notes = draw_notes(programs, n_notes, seed)
    files = {k: v for k, v in fetch_soundfonts(cache, log).items() if k in soundfonts}
    renderer = None
    parts = []
    for name in soundfonts:
        key = hashlib.sha256(json.dumps(
            [name, files[name].name, files[name].stat().st_size, programs, n_notes, seed,
             sr, duration, PITCHES, VELOCITIES, HELD_SECONDS, SPACING, SILENCE_AFTER]
        ).encode()).hexdigest()[:16]
        path = cache / "renders" / f"{name}-{key}.npz"
        if path.exists():
            with np.load(path) as cached:
                clips, version = cached["clips"], str(cached["renderer"])
        else:
            renderer = renderer or Renderer(cache, log)
            version = renderer.version
            log(f"rendering {len(notes)} notes with {name} ({version})")
            clips = render_notes(renderer, files[name], notes, sr=sr, duration=duration)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, clips=clips, renderer=version)
        parts.append(clips)
    program = np.array([n[0] for n in notes] * len(soundfonts))
    return {
        "data": np.concatenate(parts),
        "target": np.array([PROGRAMS[p] for p in program]),
        "coarse_target": np.array([family(p) for p in program]),
        "device": np.repeat(soundfonts, len(notes)),
        "program": program,
        "pitch": np.array([n[1] for n in notes] * len(soundfonts)),
        "velocity": np.array([n[2] for n in notes] * len(soundfonts)),
        "held": np.array([n[3] for n in notes] * len(soundfonts)),
        "hierarchy": {PROGRAMS[p]: family(p) for p in programs},
        "sr": sr,
        "renderer": version,
        "soundfont_files": {k: v.name for k, v in files.items()},
    }
