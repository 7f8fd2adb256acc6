"""Rebuild the inputs of `make demo` in data/sample/recordings/: the story of Warmtewerk.

Warmtewerk (made up) installs heat pumps in Dutch homes. Its website (data/sample/site/, written
by hand, not by this script) speaks its own marketing language: "energietransitie", "ontzorgen",
"duurzaam wooncomfort", "SCOP", "future-proof comfort solution". Its customers speak of the gas
bill, the noisy outdoor unit, cold bathrooms, subsidy paperwork and floor heating. The gap
report of the demo shows the difference.

This script writes, from the texts below:

* three English ride-along recordings: mono, a rep (espeak-ng en-us, male) who introduces
  himself and names Warmtewerk, and a customer (espeak-ng female voices) who talks about her
  problems in her own words;
* one English recording without consent (``no-consent.ogg``: mine must refuse it);
* four Dutch meeting transcripts as the tools export them: Microsoft Teams WebVTT, an Otter.ai
  TXT, a Teams-style DOCX (python-docx) and a plain ``Name: text`` TXT;
* the consent records of all but ``no-consent.ogg``: sidecars (``<file>.consent.toml``) and rows
  of ``consent.csv``, each with ``obtained_by`` = the rep and ``call_id`` = sha256 of the file.

The .docx (zip times) and the .ogg (a random stream serial) differ byte for byte on every run;
their consent records' call_ids are written from the new bytes, so commit them together.

Needs Debian's espeak-ng and ffmpeg (apt-get install espeak-ng ffmpeg) and python-docx.
The outputs are committed; tests never run this script.

    .venv/bin/python scripts/make_demo_data.py
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_audio_fixtures import encode, resample_clip, silence, write_wav  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "sample" / "recordings"
PURPOSE = "learn the words customers use, to improve the website copy"
SCOPE = ("transcribe", "quote-in-reports")
RETAIN_UNTIL = "2036-12-31"

#: The Warmtewerk staff in the recordings and transcripts (data/sample/mine.toml lists them).
REPS = ("Jeroen Bakker", "Daan Visser", "Sanne de Boer")
REP_VOICE = ("en-us", 25)  # (espeak-ng voice, pitch 0-99): a low male voice
SPEED = 140
#: How espeak-ng should say a word so that Whisper writes it back as spelled.
SAY = {"Warmtewerk": "Warmte werk"}

# --- English ride-alongs: (file, rep, customer, customer voice, consent form, turns) ----------
RIDE_ALONGS = (
    (
        "ride-along-clarke.mp3",
        "Jeroen Bakker",
        "Emma Clarke",
        ("en-us+f2", 55),
        "csv",
        (
            ("rep", "Good morning I am Jeroen Bakker from Warmtewerk. Thanks for having me."),
            (
                "customer",
                "Thank you for coming. Our gas boiler is fifteen years old, and last winter we "
                "paid three hundred euros a month for gas. We simply cannot keep "
                "paying that.",
            ),
            ("rep", "I understand. Which rooms are the problem?"),
            (
                "customer",
                "The bathroom is always cold in the morning, and cold air comes in "
                "under the front door. The bedrooms upstairs never get warm at all.",
            ),
            ("rep", "At Warmtewerk we always start with a visit like this one."),
            (
                "customer",
                "My biggest worry is the noise. Our neighbours sleep right next to the garden "
                "wall. At my friend's house, the noise of the outdoor unit keeps the "
                "neighbours awake, it makes a humming sound all night.",
            ),
            ("rep", "We can put the unit on the other side of the house."),
            (
                "customer",
                "Good. And how many years before it pays for itself? I read that there is "
                "a subsidy for heat pumps, but the paperwork looks complicated.",
            ),
        ),
    ),
    (
        "ride-along-okafor.m4a",
        "Daan Visser",
        "Grace Okafor",
        ("en-us+f2", 50),
        "sidecar",
        (
            (
                "rep",
                "Good afternoon my name is Daan Visser and I work for Warmtewerk. You asked "
                "about a heat pump for this house?",
            ),
            (
                "customer",
                "Yes. We just bought the house, so the mortgage is still fresh. Can we add the "
                "heat pump to the mortgage, or do we have to pay it all up front?",
            ),
            ("rep", "Many people ask that. Let me write it down."),
            (
                "customer",
                "Also, do we need floor heating for a heat pump? We have old radiators "
                "everywhere, and I really do not want to break open the floors.",
            ),
            ("rep", "Not always. We look at every room first."),
            (
                "customer",
                "And what happens on the day of the installation? We have two small children, and I "
                "work at home. Are we without hot water for a whole day? Can the kids still "
                "take a shower?",
            ),
            ("rep", "It usually takes one or two days."),
            (
                "customer",
                "We have a smart meter. Is there an app where I can see how much electricity the "
                "heat pump uses? I want to know if the electricity bill goes up when the gas bill goes "
                "down.",
            ),
        ),
    ),
    (
        "ride-along-murphy.flac",
        "Jeroen Bakker",
        "Siobhan Murphy",
        ("en-us+f2", 60),
        "csv",
        (
            (
                "rep",
                "Good morning this is Jeroen Bakker from Warmtewerk. We spoke on the phone "
                "about your rental home.",
            ),
            (
                "customer",
                "Right. I rent out a small terraced house in Utrecht. My tenants keep "
                "complaining that the house is cold and that the heating bill is too high. The "
                "gas boiler broke down twice this winter.",
            ),
            ("rep", "So you want something reliable."),
            (
                "customer",
                "Exactly. But my tenants cannot leave the house for a week. How long does the "
                "installation take? And who talks to the tenants about the noise of the outdoor "
                "unit in that very small back garden?",
            ),
            ("rep", "We plan that together with you."),
            (
                "customer",
                "And can I get a subsidy from the government for a rental home, or only when "
                "you live there yourself? I need to know the payback time before I spend so much "
                "money.",
            ),
        ),
    ),
)
NO_CONSENT = (
    "Sorry, before you start: please do not record this call. I never agreed to that, "
    "so this recording must not be used.",
    ("en-gb+f3", 70),
)

# --- Dutch transcripts: (file, kind, rep, customer, consent form, turns (speaker, s, text)) ---
YILMAZ = (  # Microsoft Teams WebVTT
    (
        "Sanne de Boer",
        1,
        "Goedemiddag mevrouw Yılmaz, u spreekt met Sanne de Boer van Warmtewerk. "
        "Fijn dat u even tijd heeft.",
    ),
    (
        "Fatma Yılmaz",
        7,
        "Ja, goedemiddag. Nou, het gaat eigenlijk om de badkamer. Die is in de "
        "winter gewoon ijskoud, ook als de verwarming de hele dag aanstaat.",
    ),
    ("Sanne de Boer", 15, "Hoe oud is de cv-ketel?"),
    (
        "Fatma Yılmaz",
        18,
        "Die is van 2009 denk ik. Hij maakt ook steeds meer lawaai. En de "
        "gasrekening, die is echt niet meer te betalen. Vorig jaar hadden we een naheffing van "
        "vierhonderd euro… (lacht) niet leuk.",
    ),
    ("Sanne de Boer", 31, "Dat hoor ik vaker. Heeft u radiatoren in alle kamers?"),
    (
        "Fatma Yılmaz",
        35,
        "Ja, gewone radiatoren onder de ramen. Maar bij de schuifpui tocht het "
        "enorm, je voelt het gewoon langs je voeten. Moet ik dan eerst vloerverwarming laten "
        "leggen? Want de hele vloer eruit, dat zie ik echt niet zitten.",
    ),
    ("Sanne de Boer", 52, "Dat hoeft niet altijd, dat bekijken we per kamer."),
    (
        "Fatma Yılmaz",
        56,
        "Oké. En mijn buurvrouw zegt dat zo'n buitenunit [onverstaanbaar] "
        "herrie maakt. Zij slaapt aan de tuinkant, dus ik wil geen gedoe met de buren.",
    ),
    ("Sanne de Boer", 68, "Die zorg snap ik. We kunnen kijken waar hij het minst hoort."),
    (
        "Fatma Yılmaz",
        73,
        "En wat kost het me nou per maand, vergeleken met nu? Mijn stookkosten "
        "zijn het grootste probleem.",
    ),
)
VAN_DER_MEER = (  # Otter.ai TXT
    (
        "Jeroen Bakker",
        3,
        "Goedemorgen meneer Van der Meer, Jeroen Bakker van Warmtewerk. Ik kom voor de warmtepomp.",
    ),
    (
        "Kees van der Meer",
        9,
        "Kom binnen. Kijk, ik heb maar één ding gelezen en dat is: die "
        "dingen maken herrie. Mijn zwager heeft er een en die buitenunit bromt de hele nacht.",
    ),
    ("Jeroen Bakker", 21, "Dat hangt erg af van de plek en het type."),
    (
        "Kees van der Meer",
        25,
        "Ja, dat zeggen ze allemaal. (lacht) En dan de terugverdientijd. "
        "Wat is die nou echt? Ik ben zeventig, ik wil het nog wel terugzien, snap je.",
    ),
    ("Jeroen Bakker", 38, "Dat rekenen we voor u uit, met uw gasverbruik van nu."),
    (
        "Kees van der Meer",
        43,
        "En die subsidie, die ISDE, hoe werkt dat? Mijn dochter zei dat je "
        "het zelf moet aanvragen, met foto's en facturen en weet ik wat. Dat papierwerk [crosstalk] "
        "daar heb ik geen zin in.",
    ),
    ("Jeroen Bakker", 58, "Daar helpen we bij."),
    (
        "Kees van der Meer",
        61,
        "Mooi. En kan ik het meefinancieren in de hypotheek? Want ik heb nog "
        "een klein stukje hypotheek op het huis staan… of is dat onzin op mijn leeftijd?",
    ),
    ("Jeroen Bakker", 74, "Dat kan soms, daar kunt u het beste uw adviseur over bellen."),
    (
        "Kees van der Meer",
        79,
        "De cv-ketel doet het nog prima hoor, ik wil alleen van die hoge energierekening af.",
    ),
)
JANSEN = (  # Teams-style DOCX
    (
        "Sanne de Boer",
        2,
        "Hallo, Sanne de Boer hier van Warmtewerk. Ik heb uw aanvraag voor een warmtepomp voor me.",
    ),
    (
        "Anouk Jansen",
        8,
        "Ja hoi. We hebben net een nieuwe slimme meter gekregen en nu zie ik "
        "pas hoeveel gas we verstoken. Dat schrok wel even.",
    ),
    ("Sanne de Boer", 17, "Wat wilt u het liefst weten?"),
    (
        "Anouk Jansen",
        20,
        "Vooral hoe de installatiedag gaat. Hoeveel dagen zitten we zonder warm "
        "water? We hebben drie kinderen, dus douchen moet gewoon kunnen. (lacht)",
    ),
    (
        "Sanne de Boer",
        33,
        "Meestal één of twee dagen, en we zetten het water zo snel mogelijk terug.",
    ),
    (
        "Anouk Jansen",
        39,
        "En waar komt dat ding te staan? Onze zolder is al vol, en de "
        "buitenunit wil ik niet voor het keukenraam. …En gaat de stroomrekening dan niet "
        "enorm omhoog?",
    ),
    ("Sanne de Boer", 52, "Die gaat wat omhoog, de gasrekening gaat flink omlaag."),
    (
        "Anouk Jansen",
        57,
        "Oké. Het is vooral dat de kinderkamer nooit warm wordt. Het tocht "
        "bij het raam en de radiator wordt maar lauw. [onverstaanbaar] eigenlijk al jaren zo.",
    ),
)
EL_AMRANI = (  # plain "Name: text" TXT
    (
        "Jeroen Bakker",
        0,
        "Goedemiddag, Jeroen Bakker van Warmtewerk, u had gebeld over uw huurwoning?",
    ),
    (
        "Mohamed El Amrani",
        5,
        "Ja klopt. Ik verhuur een bovenwoning in Rotterdam en de huurders "
        "klagen steeds dat het koud is. De cv-ketel is oud en valt om de paar weken uit.",
    ),
    ("Jeroen Bakker", 16, "Vervelend. Is het een appartement met een eigen dak?"),
    (
        "Mohamed El Amrani",
        20,
        "Ja, een plat dak. Kan die buitenunit daar op? En maakt dat "
        "herrie voor de benedenburen? Ik wil geen klachten van de buren.",
    ),
    ("Jeroen Bakker", 31, "Dat kan vaak, we komen het bekijken."),
    (
        "Mohamed El Amrani",
        35,
        "En geldt die subsidie ook voor een huurwoning? Ik kreeg van de "
        "gemeente een brief over het energielabel… eh, ik snap er niks van. Wat is de "
        "terugverdientijd als de huurders de energierekening betalen?",
    ),
)
TRANSCRIPTS = (
    ("gesprek-yilmaz.vtt", "vtt", "Fatma Yılmaz", "sidecar", YILMAZ),
    ("gesprek-van-der-meer.txt", "otter", "Kees van der Meer", "csv", VAN_DER_MEER),
    ("adviesgesprek-jansen.docx", "docx", "Anouk Jansen", "sidecar", JANSEN),
    ("telefoon-el-amrani.txt", "plain", "Mohamed El Amrani", "csv", EL_AMRANI),
)
#: When each call took place (consent obtained at its start).
WHEN = {
    "ride-along-clarke.mp3": "2026-10-06T09:30:00+02:00",
    "ride-along-okafor.m4a": "2026-10-08T14:00:00+02:00",
    "ride-along-murphy.flac": "2026-10-13T11:00:00+02:00",
    "gesprek-yilmaz.vtt": "2026-10-14T15:00:00+02:00",
    "gesprek-van-der-meer.txt": "2026-10-20T10:00:00+02:00",
    "adviesgesprek-jansen.docx": "2026-10-22T19:30:00+02:00",
    "telefoon-el-amrani.txt": "2026-10-27T16:15:00+02:00",
}


def speak(text: str, voice: tuple[str, int]) -> np.ndarray:
    """``text`` said by espeak-ng ``voice`` (name, pitch) as 16 kHz int16 mono samples."""
    for word, say in SAY.items():
        text = text.replace(word, say)
    name, pitch = voice
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(
            ["espeak-ng", "-v", name, "-p", str(pitch), "-s", str(SPEED), "-w", str(raw), text],
            check=True,
        )
        return resample_clip(raw)


def make_ride_along(name: str, voice: str, turns: tuple[tuple[str, str], ...]) -> None:
    parts = [silence(0.4)]
    for role, text in turns:
        parts += [speak(text, REP_VOICE if role == "rep" else voice), silence(0.6)]
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "call.wav"
        write_wav(wav, np.concatenate(parts))
        args = {
            ".mp3": ("-b:a", "32k"),
            ".m4a": ("-b:a", "32k"),
            ".flac": ("-sample_fmt", "s16", "-compression_level", "12"),
        }
        encode(wav, OUT / name, *args[Path(name).suffix])


def _clock(seconds: int, hours: bool) -> str:
    m, s = divmod(seconds, 60)
    return f"{m // 60:02d}:{m % 60:02d}:{s:02d}" if hours else f"{m}:{s:02d}"


def _ends(turns: tuple) -> list[int]:
    """When each turn ends: where the next one starts (the last: 2 s a dozen words)."""
    starts = [t[1] for t in turns]
    last = starts[-1] + max(3, len(turns[-1][2].split()) // 6)
    return [*starts[1:], last]


def write_vtt(path: Path, turns: tuple) -> None:
    """Teams' WebVTT: a cue id (meeting id / cue number), times, ``<v Name>text</v>``."""
    lines = ["WEBVTT", ""]
    for i, ((who, start, text), end) in enumerate(zip(turns, _ends(turns), strict=True)):
        lines += [
            f"6c1f0e6a-3b2d-4c8e-9a51-7d2e5f0b8c41/{12 + i}-0",
            f"{_clock(start, True)}.{(start * 137) % 1000:03d} --> "
            f"{_clock(end, True)}.{(end * 137) % 1000:03d}",
            f"<v {who}>{text}</v>",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_otter(path: Path, turns: tuple) -> None:
    """Otter.ai's TXT export: ``Name  0:03``, the text below it, a blank line between."""
    blocks = [f"{who}  {_clock(start, False)}\n{text}" for who, start, text in turns]
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")


def write_plain(path: Path, turns: tuple) -> None:
    """Plain notes: ``Name: text``, one turn a line."""
    path.write_text("".join(f"{who}: {text}\n" for who, _, text in turns), encoding="utf-8")


def write_docx(path: Path, turns: tuple, title: str) -> None:
    """A Teams-style .docx transcript: a name and time paragraph, then the text paragraph."""
    import docx  # python-docx

    doc = docx.Document()
    doc.core_properties.author = "Microsoft Teams"
    doc.core_properties.title = title
    doc.add_paragraph(title)
    doc.add_paragraph(f"{WHEN[path.name][:10]}, duur {_clock(_ends(turns)[-1], False)}")
    for who, start, text in turns:
        doc.add_paragraph(f"{who}   {_clock(start, False)}")
        doc.add_paragraph(text)
    doc.save(str(path))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_sidecar(path: Path, customer: str, rep: str, method: str) -> None:
    """The sidecar form, as `mine consent add` and `mine consent check --fix` write it."""
    text = (
        "# Sample consent record (sidecar form), as `mine consent add` writes it.\n"
        f'file = "{path.name}"\n'
        f'customer = "{customer} (sample)"\n'
        f'participants = ["{customer}", "{rep}"]\n'
        f"obtained_at = {WHEN[path.name]}\n"
        f'obtained_by = "{rep}"\n'
        f'method = "{method}"\n'
        f'purpose = "{PURPOSE}"\n'
        f"scope = [{', '.join(repr(s).replace(chr(39), chr(34)) for s in SCOPE)}]\n"
        f"retain_audio_until = {RETAIN_UNTIL}\n"
        f'call_id = "{sha256(path)}"  # sha256 of the file: binds this record to these bytes\n'
    )
    (path.parent / f"{path.name}.consent.toml").write_text(text, encoding="utf-8")


def csv_row(path: Path, customer: str, rep: str, method: str) -> list[str]:
    return [
        path.name,
        f"{customer} (sample)",
        f"{customer};{rep}",
        WHEN[path.name],
        rep,
        method,
        PURPOSE,
        ";".join(SCOPE),
        RETAIN_UNTIL,
        sha256(path),
    ]


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    rows = []

    def consent(path: Path, customer: str, rep: str, form: str, method: str) -> None:
        if form == "sidecar":
            write_sidecar(path, customer, rep, method)
        else:
            rows.append(csv_row(path, customer, rep, method))

    for name, rep, customer, voice, form, turns in RIDE_ALONGS:
        make_ride_along(name, voice, turns)
        consent(OUT / name, customer, rep, form, "verbal-on-recording")

    text, voice = NO_CONSENT
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "no-consent.wav"
        write_wav(wav, np.concatenate([silence(0.3), speak(text, voice), silence(0.3)]))
        encode(wav, OUT / "no-consent.ogg", "-b:a", "24k")

    for name, kind, customer, form, turns in TRANSCRIPTS:
        path = OUT / name
        rep = turns[0][0]
        if kind == "vtt":
            write_vtt(path, turns)
        elif kind == "otter":
            write_otter(path, turns)
        elif kind == "docx":
            write_docx(path, turns, f"Adviesgesprek warmtepomp – {customer}")
        else:
            write_plain(path, turns)
        consent(path, customer, rep, form, "verbal-on-recording" if kind != "plain" else "form")

    with (OUT / "consent.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(
            "file,customer,participants,obtained_at,obtained_by,method,purpose,scope,"
            "retain_audio_until,call_id".split(",")
        )
        writer.writerows(rows)
    for path in sorted(OUT.iterdir()):
        print(f"{path.stat().st_size:>8}  {path.name}")


if __name__ == "__main__":
    main()
