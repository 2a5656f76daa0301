#!/usr/bin/env python3
"""Generates tests/data/text/eval_set.jsonl, the labelled evaluation set for text signals.

Positives are built from the starter lexicon's coded terms only (no explicit text), disguised the
way public reporting describes: homoglyphs, leetspeak, separators between letters, repeated
letters, fullwidth and "math bold" forms, zero-width characters. The benign side is as large and
contains the same letters: roadmap, cpu, cpanel, Aamir, Taboo the board game, a no-limits gym,
perverse incentives, the name Pervin, age mentions of ordinary family life, handles in ordinary
sentences.

Each line: {"id", "text", "field", "flagged", "categories", "handles"}, where "categories" lists
the categories that should be reported (score >= the lexicon's report_threshold) and "handles"
the [platform, handle] pairs that should be extracted.

Deterministic: run `python3 tests/data/text/make_eval_set.py` to regenerate the same file.
"""
import json
import os
import random

RNG = random.Random(20261126)

HOMOGLYPHS = {  # Latin -> look-alike from another script
    "a": "\u0430", "c": "\u0441", "e": "\u0435", "o": "\u043e", "p": "\u0440", "x": "\u0445",
    "y": "\u0443", "i": "\u0456", "s": "\u0455", "l": "\u217c", "d": "\u0501",
}  # each one maps back to its Latin letter under the UTS #39 skeleton
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "b": "8"}
LEET_SYM = {"a": "@", "s": "$", "i": "!"}
EMOJI = ["\U0001F525", "\u2728", "\u2b50", "\U0001F319", "\U0001F388", "\U0001F338"]  # neutral emoji only


def homoglyph(word):
    chars = list(word)
    idx = [k for k, c in enumerate(chars) if c in HOMOGLYPHS]
    for k in RNG.sample(idx, max(1, len(idx) // 2)) if idx else []:
        chars[k] = HOMOGLYPHS[chars[k]]
    return "".join(chars)


def leet(word):
    chars = list(word)
    idx = [k for k, c in enumerate(chars) if c in LEET or c in LEET_SYM]
    for k in idx:
        c = chars[k]
        if c in LEET_SYM and RNG.random() < 0.3:
            chars[k] = LEET_SYM[c]
        elif c in LEET:
            chars[k] = LEET[c]
    return "".join(chars)


def separators(word):
    sep = RNG.choice([".", "_", "-", " ", "*", "\u2022"] + EMOJI)
    return sep.join(word)


def repeats(word):
    chars = list(word)
    k = RNG.randrange(len(chars))
    chars[k] = chars[k] * RNG.choice([3, 4, 5])
    return "".join(chars)


def fullwidth(word):
    return "".join(chr(ord(c) - 0x21 + 0xFF01) if "!" <= c <= "~" else c for c in word).upper()


def math_bold(word):
    return "".join(chr(0x1D41A + ord(c) - ord("a")) if "a" <= c <= "z" else c for c in word)


def zero_width(word):
    mid = max(1, len(word) // 2)
    return word[:mid] + "\u200b" + word[mid:]


TRANSFORMS = [homoglyph, leet, separators, repeats, fullwidth, math_bold, zero_width]

# Coded terms from the starter lexicon. Multi-word ones are disguised word by word.
CODED = ["perv", "prvy", "taboo", "nolimits", "map", "aam", "cp", "homemade sis", "taboo family"]

USERNAME_TEMPLATES = ["{t}", "{t}_{n}", "x{t}x", "the_{t}", "{t}{n}", "real_{t}_{n}"]
WORD_USERNAME_TEMPLATES = ["{t}", "{t}_{n}", "the_{t}", "real_{t}_{n}", "{t}.{n}"]
GROUP_TEMPLATES = ["{t} chat", "{t} club", "{t} group {e}", "{e} {t} {e}", "{t} lounge", "new {t} room"]
DESC_TEMPLATES = [
    "{t} only, invite only",
    "welcome to the {t} group, read the rules",
    "{t} fans here {e}",
    "private {t} room, be active",
]
SUBSTRING_TERMS = {"perv", "prvy", "taboo", "nolimits"}


def disguise(term):
    """Applies one transform per word (at least one word changes visibly)."""
    words = term.split(" ")
    t = RNG.choice(TRANSFORMS)
    out = []
    changed = False
    for w in words:
        if not changed or RNG.random() < 0.5:
            d = t(w)
            if d != w:
                changed = True
            out.append(d)
        else:
            out.append(w)
    if not changed:
        out[0] = leet(out[0]) if leet(out[0]) != out[0] else fullwidth(out[0])
    return " ".join(out)


items = []


def add(text, field, flagged, categories, handles=()):
    items.append({
        "id": len(items) + 1,
        "text": text,
        "field": field,
        "flagged": flagged,
        "categories": sorted(categories),
        "handles": [list(h) for h in handles],
    })


# ---- positives: disguised coded terms in usernames, group names, descriptions -------------------
for term in CODED:
    for _ in range(12):
        d = disguise(term)
        field = RNG.choice(["username", "display_name", "group_name", "description"])
        if field in ("username", "display_name"):
            templates = USERNAME_TEMPLATES if term in SUBSTRING_TERMS else WORD_USERNAME_TEMPLATES
            if " " in term:
                templates = ["{t}", "{t} {n}"]
        elif field == "group_name":
            templates = GROUP_TEMPLATES
        else:
            templates = DESC_TEMPLATES
        text = RNG.choice(templates).format(t=d, n=RNG.randrange(1, 99), e=RNG.choice(EMOJI))
        add(text, field, True, {"coded-term"})

# ---- positives: trading and solicitation phrases --------------------------------------------------
for phrase, base_term in [("cp trade", "cp"), ("selling cp", "cp"), ("cp links", "cp"),
                          ("taboo trade", "taboo"), ("taboo links", "taboo")]:
    for _ in range(5):
        words = phrase.split(" ")
        words = [disguise(w) if w == base_term else (leet(w) if RNG.random() < 0.5 else w) for w in words]
        text = RNG.choice(["{p}", "{p} {e}", "{p}, active members only", "{e} {p} {e}"]).format(
            p=" ".join(words), e=RNG.choice(EMOJI))
        add(text, RNG.choice(["group_name", "description", "post"]), True, {"trading", "coded-term"})

for phrase, base_term in [("dm for taboo", "taboo"), ("pm for taboo", "taboo"), ("dm for cp", "cp")]:
    for _ in range(5):
        words = [disguise(w) if w == base_term else w for w in phrase.split(" ")]
        add(" ".join(words) + RNG.choice(["", " " + RNG.choice(EMOJI), ", serious only"]),
            RNG.choice(["description", "post"]), True, {"solicitation", "coded-term"})

# ---- positives: age mention next to a coded term (scored above either) ----------------------------
AGE_FORMS = ["{a}yo", "{a} yo", "{a} y/o", "{a} year old", "{a}(f)", "(m){a}", "{a} yrs old"]
for _ in range(24):
    age = RNG.randrange(9, 17)
    term = RNG.choice(["perv", "taboo", "map", "cp", "prvy", "nolimits"])
    age_text = RNG.choice(AGE_FORMS).format(a=age)
    d = disguise(term)
    text = RNG.choice(["{age} {t}", "{t} {age}", "{t} here, {age}", "{age} {e} {t}"]).format(
        age=age_text, t=d, e=RNG.choice(EMOJI))
    add(text, RNG.choice(["display_name", "group_name", "description", "post"]), True,
        {"age-mention", "coded-term", "age-coded-cooccurrence"})

# ---- positives: public posts advertising a messenger handle next to a coded term ----------------
HANDLE_FORMS = [
    ("wickr: {h}", "wickr"), ("add me on kik {h}", "kik"), ("telegram @{h}", "telegram"),
    ("snap: {h}", "snapchat"), ("kik me: {h}", "kik"), ("t.me/{h}", "telegram"), ("signal: {h}", "signal"),
    ("threema {h}", "threema"),
]
NAMES = ["quietfox", "blue_otter22", "nightowl.7", "river_stone", "mrgreen_99", "sunny.day4", "echo_lane",
         "paper_plane", "zed_k", "maple.leaf3"]
for _ in range(20):
    form, platform = RNG.choice(HANDLE_FORMS)
    name = RNG.choice(NAMES)
    term = RNG.choice(["taboo", "perv", "prvy", "nolimits", "cp"])
    text = RNG.choice(["{t} {f}", "{f} for {t}", "{t} {e} {f}"]).format(
        t=disguise(term), f=form.format(h=name), e=RNG.choice(EMOJI))
    add(text, "post", True, {"coded-term"}, [(platform, name)])
session_id = "05" + "".join(RNG.choice("0123456789abcdef") for _ in range(64))
add("n0l1m1ts session id " + session_id, "post", True, {"coded-term"}, [("session", session_id)])

positives = len(items)

# ---- benign look-alikes ---------------------------------------------------------------------------
BENIGN = [
    # map
    "Product roadmap Q3", "roadmap_review", "Our 2027 roadmap is public", "mindmap tools", "sitemap.xml fixes",
    "heatmap dashboard team", "city map and bus routes", "treasure map party for the kids", "map of europe quiz",
    "Google Maps tips", "maple syrup lovers", "bitmap fonts archive", "road map to recovery support group",
    "mapping volunteers", "Open Street Map editors", "campus map updates",
    # cp
    "cpu overclocking", "CPU temps too high?", "cpanel hosting help", "cpp developers", "learn cpp together",
    "cpu_cooler_reviews", "CP (cerebral palsy) parents support", "Pokemon Go high CP raids", "acpi errors on boot",
    "cpanel_admin", "cpr training class", "cpa exam study group", "cps parents council",
    # aam
    "aamir_khan_fans", "Aamir Khan fan club", "Aam Aadmi Party volunteers", "aam panna recipe", "aamna.s",
    "Aamer's football team", "Aamina's bakery", "naam jap satsang",
    # taboo
    "Taboo board game night", "taboo card game on friday", "we played taboo the board game", "Taboo the game",
    "playing taboo at the pub", "breaking taboos around mental health", "Taboo (TV series) fans",
    "cultural taboos reading list", "taboos in medicine podcast", "play taboo with us",
    # no limits
    "No Limits Gym", "nolimits_gym", "no limits fitness bootcamp", "No Limits Crossfit members",
    "there are no limits to learning", "limitless coffee", "speed limits in town", "no limits gym class schedule",
    # perv
    "perverse incentives", "Perverse incentives in academic publishing", "Pervin", "pervin.yilmaz",
    "Happy birthday Pervin!", "pervasive computing lab", "a perversion of justice", "Pervez family reunion",
    "perveen_art", "pervading smell of coffee", "Pervaiz cricket club", "the perversity of fate",
    # homemade / family
    "homemade bread", "homemade family recipes", "homemade pasta with my sister", "Homemade gifts for dad",
    "homemade jam", "family dinner ideas", "homemade pizza night with the family",
    # ordinary age mentions (a signal, not flagged): labelled below
    # plain ordinary text, usernames, names in stylised or non-Latin scripts
    "quietfox", "blue_otter22", "nightowl.7", "coffee_addict", "maria.garcia", "john_smith_84", "photo club",
    "book club 📚", "🔥🔥 pizza night 🍕", "hiking buddies ⛰️", "l33t h4x0r club", "gr8 m8s", "2 cool 4 school",
    "\U0001D4DC\U0001D4EA\U0001D4FB\U0001D4F2\U0001D4EA", "ＣＯＦＦＥＥ ☕ lovers", "Мария", "東京の友達",
    "Ахмед", "إبراهيم", "Zoë's café", "garage band practice", "chess club",
    "the signal is weak here", "telegram is blocked in some countries", "session 2 starts at 10",
    "snap peas recipe", "kik the can game", "my telegram group for hikers", "wire transfer questions",
    "element of surprise", "ig nobel prize fans",
    "prvni den ve skole", "privy council", "preview build", "provider list", "perfect vision",
    "tab of aspirin", "cap collection", "tap dance", "camp site", "aim high", "am i late?",
    # Hard cases kept on purpose: initials look like letters split by dots.
    "C.P. Snow reading group", "Notes on C.P. Cavafy's poems",
]
for text in BENIGN:
    field = "username" if (" " not in text and len(text) < 24) else RNG.choice(
        ["display_name", "group_name", "description", "post"])
    add(text, field, False, set())

AGE_BENIGN = [
    "my 5 year old loves lego", "proud mom of a 7 y/o", "ideas for a 10 year old's party?",
    "my 3yo won't sleep", "books for 12 year olds", "our 8 yo started piano", "tips for my 14 year old's first job",
    "homework help for my 11 y/o", "6 yrs old birthday cake ideas", "my 9 year old son plays chess",
]
for text in AGE_BENIGN:
    add(text, RNG.choice(["description", "post"]), False, {"age-mention"})

ADULT_AGES = ["25 yo developer", "30 years old and learning guitar", "retired at 65 year old", "42 y/o runner",
              "12 years of experience", "I have 2 kids", "route 66 road trip", "covid19 updates",
              "class of 2009 reunion", "room 14f", "F14 tomcat models", "M14 motorway works"]
for text in ADULT_AGES:
    add(text, RNG.choice(["display_name", "description", "post"]), False, set())

# Benign posts with handles (extraction is a separate signal; not flagged).
BENIGN_HANDLES = [("hiking group on telegram @trail_mix_club", [("telegram", "trail_mix_club")]),
                  ("book swap, kik me: pageturner", [("kik", "pageturner")]),
                  ("ask the admins on signal: admin.42", [("signal", "admin.42")]),
                  ("our chess club: t.me/chess_knights", [("telegram", "chess_knights")]),
                  ("snap: sunny.day4 for photo walks", [("snapchat", "sunny.day4")])]
for text, handles in BENIGN_HANDLES:
    add(text, "post", False, set(), handles)

# Pad the benign side to the size of the positive side with ordinary generated usernames and names.
FIRST = ["anna", "ben", "carla", "dev", "eli", "fatima", "george", "hana", "ivan", "jules", "kofi", "lena",
         "mateo", "nora", "omar", "priya", "quinn", "rosa", "sami", "tariq"]
HOBBY = ["runs", "bakes", "codes", "paints", "climbs", "reads", "cycles", "sings", "draws", "swims"]
while len(items) - positives < positives:
    kind = RNG.random()
    if kind < 0.4:
        text = f"{RNG.choice(FIRST)}_{RNG.choice(HOBBY)}{RNG.randrange(1, 99)}"
        field = "username"
    elif kind < 0.7:
        text = f"{RNG.choice(FIRST).title()} {RNG.choice(HOBBY)} {RNG.choice(['🔥', '✨', '🎨', '📚', ''])}".strip()
        field = "display_name"
    else:
        text = f"{RNG.choice(FIRST).title()}'s {RNG.choice(['map', 'cpu', 'taboo', 'roadmap', 'gym'])} " \
               f"{RNG.choice(['notes', 'club', 'night', 'builds', 'crew'])}"
        field = "group_name"
    add(text, field, False, set())

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eval_set.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for item in items:
        f.write(json.dumps(item, ensure_ascii=False) + "\n")
print(f"{len(items)} items ({positives} positive, {len(items) - positives} benign) -> {out}")
