"""Identifier and literal vocabularies for the aegis-mini data generator.

Every user-chosen name in a generated file (variables, functions, classes, tables,
request keys, messages, hosts) is built from the word pools below. The pools are disjoint:
``TRAIN`` for the train and validation splits, ``HELDOUT`` for the held-out split, so a model
scored on held-out files has never seen their identifiers, and ``CALIB`` for the calibration
split the ship step chooses the threshold on (names neither training nor held-out use).
Words that are also module, package or keyword names in some target language (``os``,
``time``, ``path``, ``request``, ``session``, ``package``, ``type`` …) are deliberately
absent: a variable must never shadow an API the templates rely on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

_TRAIN_NOUNS = ["account", "address", "album", "alert", "answer", "article", "asset", "audit", "badge", "balance", "basket", "batch", "bill", "block", "booking", "branch", "bucket", "budget", "bundle", "campaign", "card", "cart", "catalog", "category", "channel", "chapter", "checkout", "city", "claim", "client", "comment", "company", "contact", "contract", "counter", "coupon", "course", "customer", "dashboard", "deal", "delivery", "department", "deposit", "device", "discount", "document", "draft", "driver", "employee", "entry", "expense", "feed", "folder", "forum", "gallery", "game", "grade", "group", "guest", "invoice", "issue", "item", "job", "journal", "label", "lead", "lesson", "library", "license", "listing", "location", "member", "menu", "message", "metric", "milestone", "note", "notice", "offer", "order", "owner", "page", "parcel", "partner", "patient", "payment", "payout", "period", "permit", "photo", "player", "playlist", "plan", "policy", "portfolio", "post", "price", "product", "profile", "project", "promo", "purchase", "quote", "rating", "receipt", "refund", "region", "release", "reminder", "rental", "report", "reservation", "review", "reward", "role", "room", "rule", "sale", "schedule", "score", "season", "seat", "section", "sensor", "shelf", "shipment", "shop", "song", "sprint", "staff", "stage", "station", "stock", "store", "student", "subject", "submission", "supplier", "survey", "task", "team", "teacher", "tenant", "ticket", "topic", "tour", "track", "trade", "transfer", "trip", "vehicle", "vendor", "venue", "video", "visit", "voucher", "wallet", "warehouse", "widget", "workflow", "workspace", "zone", "user"]

_HELDOUT_NOUNS = ["aircraft", "almanac", "anchor", "apiary", "armada", "atlas", "ballot", "barrel", "beacon", "blueprint", "bouquet", "canopy", "capsule", "caravan", "cellar", "charter", "citadel", "clinic", "compass", "convoy", "crate", "crystal", "dossier", "ember", "estuary", "falcon", "ferry", "fossil", "galaxy", "garrison", "glacier", "harbor", "helmet", "herald", "hive", "horizon", "lantern", "ledger", "lighthouse", "meadow", "mosaic", "nebula", "orchard", "parchment", "pavilion", "pelican", "pylon", "quarry", "quiver", "relic", "satchel", "sextant", "summit", "tapestry", "thicket", "trellis", "tundra", "vessel", "voyage", "willow", "yacht", "zephyr"]

_TRAIN_VERBS = ["get", "load", "fetch", "find", "read", "build", "create", "update", "save", "store", "show", "render", "handle", "process", "sync", "export", "send", "notify", "check", "apply", "compute", "resolve", "prepare", "parse", "lookup", "search", "remove", "publish", "assign", "approve", "attach", "collect", "convert", "merge"]

_HELDOUT_VERBS = ["gather", "summon", "forge", "kindle", "stitch", "muster", "tally", "glean", "relay", "weave", "stash", "hoist"]

_TRAIN_ADJECTIVES = ["active", "archived", "cached", "current", "daily", "external", "final", "first", "full", "global", "hidden", "initial", "last", "local", "main", "manual", "monthly", "old", "partial", "pending", "primary", "public", "raw", "recent", "remote", "selected", "shared", "single", "target", "temp", "total", "weekly"]

_HELDOUT_ADJECTIVES = ["amber", "brisk", "crimson", "dusky", "feral", "gilded", "hollow", "lunar", "mellow", "nimble", "rustic", "sable", "tidal", "velvet"]

# Names of secrets (as word lists) for hard-coded credential, logging and storage templates.
_TRAIN_SECRETS = [
    ["password"], ["passwd"], ["secret"], ["api", "key"], ["auth", "token"], ["db", "password"],
    ["secret", "key"], ["private", "key"], ["access", "token"], ["admin", "password"], ["apikey"],
    ["smtp", "password"], ["jwt", "secret"],
]
_HELDOUT_SECRETS = [
    ["passphrase"], ["client", "secret"], ["signing", "key"], ["master", "key"], ["credential"],
    ["bearer", "token"], ["vault", "pass"],
]

_TRAIN_CLASS_SUFFIXES = ["Service", "Repository", "Controller", "Handler", "Manager", "Store", "Client", "Helper", "Builder", "Loader"]
_HELDOUT_CLASS_SUFFIXES = ["Steward", "Curator", "Broker", "Warden", "Keeper"]

_TRAIN_DOMAINS = ["example.com", "internal.local", "corp.example", "svc.cluster.local"]
_HELDOUT_DOMAINS = ["example.org", "intra.test", "lab.invalid"]

_TRAIN_DIRS = ["/var/app/data", "/srv/files", "/opt/service/uploads", "/var/lib/app", "/data/exports"]
_HELDOUT_DIRS = ["/mnt/vault/store", "/home/deploy/cargo", "/var/spool/keep"]

# Calibration pool: a third vocabulary, disjoint from both others, for the split the ship step
# chooses the threshold on (aegis_cli.mini.datagen). Code with names a model never saw makes it
# less sure than the validation split (which shares training's words) does.
_CALIB_NOUNS = ["acorn", "anvil", "banjo", "basil", "bramble", "buckle", "cactus", "candle", "cobble", "coral", "cricket", "cymbal", "dahlia", "domino", "dune", "easel", "fable", "fennel", "fiddle", "flagon", "furnace", "garnet", "geyser", "goblet", "gondola", "granite", "griddle", "hammock", "hazel", "jasper", "kettle", "kiln", "lagoon", "locket", "lotus", "mantle", "marble", "mitten", "nutmeg", "oboe", "olive", "opal", "paddle", "pebble", "pepper", "piano", "quartz", "raisin", "ribbon", "saddle", "sequoia", "spindle", "sprocket", "teapot", "thimble", "timber", "tulip", "turnip", "walnut", "wicker"]

_CALIB_VERBS = ["baste", "whisk", "ferment", "dredge", "polish", "sift", "simmer", "whittle", "temper", "glaze", "splice", "ration"]

_CALIB_ADJECTIVES = ["azure", "bristly", "cobalt", "drowsy", "frosty", "gleaming", "jagged", "mossy", "pastel", "dapper", "speckled", "sturdy", "twilit", "woolly"]

_CALIB_SECRETS = [
    ["hmac", "key"], ["root", "password"], ["oauth", "token"], ["encryption", "key"], ["service", "token"],
    ["session", "secret"], ["webhook", "secret"],
]
_CALIB_CLASS_SUFFIXES = ["Provider", "Gateway", "Registry", "Agent", "Dispatcher"]
_CALIB_DOMAINS = ["example.net", "corp.test", "acme.internal"]
_CALIB_DIRS = ["/srv/assets/incoming", "/var/cache/pantry", "/opt/shared/drop"]

_EXTENSIONS = ["txt", "csv", "json", "log", "pdf", "png", "xml", "dat"]

_COMMANDS = [
    "ping -c 1", "nslookup", "tar -xzf", "convert", "ls -la", "du -sh", "grep -rn", "wc -l", "file",
    "whois", "dig +short", "zip -r", "git log --oneline", "ffmpeg -i", "pdftotext", "host", "cat",
    "gzip -k", "unzip -o", "identify",
]

# Conventional short names of C-family locals; shared by all splits (they are not vocabulary).
_LOCALS: dict[str, tuple[str, ...]] = {
    "buf": ("buf", "buffer", "line", "out", "scratch"), "p": ("p", "ptr", "data", "mem"), "n": ("n", "count", "len", "size"),
    "i": ("i", "j", "k"), "e": ("env", "value", "e"), "fp": ("fp", "f", "file"), "fd": ("fd", "file_fd", "out_fd"),
    "cmdbuf": ("cmd", "command", "cmdline"), "sql": ("sql", "query", "q"), "stmt": ("stmt", "st", "prepared"),
    "path": ("path", "full_path", "filename"), "path2": ("candidate", "joined", "requested"),
    "tmpl": ("tmp_name", "tmpl", "name_buf"), "ctx": ("ctx", "cipher_ctx", "md_ctx"), "digest": ("digest", "hash", "md"),
    "arr": ("table", "slots", "arr", "values"), "idx": ("idx", "index", "pos"),
}

_MESSAGE_PATTERNS = [
    "could not {verb} {noun}", "{noun} not found", "invalid {noun}", "{verb} {noun} failed",
    "{noun} {adj} mismatch", "unable to {verb} the {noun}", "{adj} {noun} is missing",
    "{verb} {noun} done", "no {noun} for this {noun2}",
]
_SENTENCE_PATTERNS = [
    "{Verb} the {adj} {noun} for the current {noun2}.", "Helpers for {noun} {noun2} handling.",
    "{Verb} {noun} records and keep the {noun2} in sync.", "Returns the {adj} {noun}, if any.",
    "Small utilities around {noun} and {noun2}.", "{Verb} a {noun} from its {noun2}.",
    "Keep {noun} lookups cheap: the {noun2} table is small.", "TODO: {verb} {adj} {noun} in bulk.",
    "{Noun} {noun2} glue code.", "Validates and {verb}s {noun} payloads.",
]



_ONSETS = ("b", "br", "bl", "c", "ch", "cl", "cr", "d", "dr", "f", "fl", "fr", "g", "gl", "gr", "h", "j", "k",
           "kn", "l", "m", "n", "p", "ph", "pl", "pr", "qu", "r", "s", "sc", "sh", "sk", "sl", "sm", "sn", "sp",
           "spr", "st", "str", "sw", "t", "th", "tr", "tw", "v", "w", "wh", "wr", "y", "z", "")
_VOWELS = ("a", "e", "i", "o", "u", "y", "ai", "au", "ay", "ea", "ee", "ei", "ey", "ie", "io", "oa", "oi", "oo",
           "ou", "ow", "ue")
_CODAS = ("", "", "", "b", "ck", "d", "ff", "g", "gh", "ght", "k", "l", "ll", "lt", "m", "mp", "n", "nd", "ng",
          "nk", "nt", "p", "r", "rk", "rn", "s", "ss", "st", "t", "th", "tt", "w", "x", "zz")


def pseudo_word(rng: random.Random, exclude: frozenset[str] | set[str] = frozenset()) -> str:
    """A pronounceable made-up word of 4 to 12 letters, not in ``exclude``, drawn from ``rng``.

    Real code is full of identifiers a small vocabulary never covers. Without made-up words in
    training, every unfamiliar sub-word piece in a file would be as rare as the random characters
    of a hard-coded key, and a model learns "unknown pieces = CWE-798". The train pool draws a
    fresh one for a share of its names (WILD_FRACTION), from a wide inventory of English-like
    syllables, so there is no fixed list of made-up words a model could learn by heart and
    every file brings names its tokenizer splits in new ways; the held-out pool stays disjoint.
    """
    while True:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                       for _ in range(rng.choice((1, 2, 2, 3))))
        if 4 <= len(word) <= 12 and word not in exclude:
            return word


_HELDOUT_ALL = set(_HELDOUT_NOUNS) | set(_HELDOUT_VERBS) | set(_HELDOUT_ADJECTIVES)
_TRAIN_ALL = set(_TRAIN_NOUNS) | set(_TRAIN_VERBS) | set(_TRAIN_ADJECTIVES)
_CALIB_ALL = set(_CALIB_NOUNS) | set(_CALIB_VERBS) | set(_CALIB_ADJECTIVES)
#: a made-up word (pseudo_word, never a held-out, calibration or train word) replaces this share
#: of the train pool's nouns, verbs and adjectives
# Reserved words (and names a variable must not shadow) of the ten languages, four letters or
# more (a made-up word is never shorter): a made-up name must never be one.
_RESERVED_WORDS = """
abstract alias array assert async auto await base begin bool boolean break byte callable case catch chan char
checked class clone const continue debugger declare decimal default defer defined delegate delete
dict double echo elif else elsif empty end ensure enum eval event except exit explicit export
extends extern false fallthrough final finally fixed float foreach friend from func function global
goto impl implements implicit import include inline input instanceof insteadof interface internal isset
lambda list lock long loop match module mutable namespace native next none nonlocal null object
open operator out override package params pass print private protected public raise range readonly
redo register require rescue restrict retry return sbyte sealed select self short signed sizeof
stackalloc static string struct super switch synchronized template then this throw throws trait
transient true type typedef typename typeof uint ulong unchecked undef union unless unsafe unset
unsigned until ushort using var virtual void volatile when where while with yield
"""
_RESERVED = frozenset(_RESERVED_WORDS.split())
_WILD_EXCLUDE = frozenset(_HELDOUT_ALL | _TRAIN_ALL | _CALIB_ALL | _RESERVED)
WILD_FRACTION = 0.6
_WILD_KINDS = frozenset(("nouns", "verbs", "adjectives"))

WORD_POOLS: dict[str, dict] = {
    "train": {
        "nouns": _TRAIN_NOUNS, "verbs": _TRAIN_VERBS, "adjectives": _TRAIN_ADJECTIVES, "wild": True,
        "secrets": _TRAIN_SECRETS, "suffixes": _TRAIN_CLASS_SUFFIXES, "domains": _TRAIN_DOMAINS,
        "dirs": _TRAIN_DIRS,
    },
    "heldout": {
        "nouns": _HELDOUT_NOUNS, "verbs": _HELDOUT_VERBS, "adjectives": _HELDOUT_ADJECTIVES,
        "secrets": _HELDOUT_SECRETS, "suffixes": _HELDOUT_CLASS_SUFFIXES, "domains": _HELDOUT_DOMAINS,
        "dirs": _HELDOUT_DIRS,
    },
    "calibration": {
        "nouns": _CALIB_NOUNS, "verbs": _CALIB_VERBS, "adjectives": _CALIB_ADJECTIVES,
        "secrets": _CALIB_SECRETS, "suffixes": _CALIB_CLASS_SUFFIXES, "domains": _CALIB_DOMAINS,
        "dirs": _CALIB_DIRS,
    },
}


def pool_words(pool: str) -> frozenset[str]:
    """Every atomic word a pool can contribute to a name or literal (for disjointness checks)."""
    p = WORD_POOLS[pool]
    # (the train pool's made-up words are drawn fresh, not listed: see pseudo_word)
    words: set[str] = set(p["nouns"]) | set(p["verbs"]) | set(p["adjectives"])
    words |= {"_".join(parts) for parts in p["secrets"]}
    words |= set(p["suffixes"])
    return frozenset(words)


def pool_for_split(split: str) -> str:
    return split if split in ("heldout", "calibration") else "train"


def snake(words: list[str]) -> str:
    return "_".join(words)


def camel(words: list[str]) -> str:
    return words[0] + "".join(w.capitalize() for w in words[1:])


def pascal(words: list[str]) -> str:
    return "".join(w.capitalize() for w in words)


def upper(words: list[str]) -> str:
    return "_".join(w.upper() for w in words)


CASES = {"snake": snake, "camel": camel, "pascal": pascal, "upper": upper}


@dataclass
class NameStyle:
    """How one language spells each kind of identifier (names of CASES)."""

    var: str = "snake"
    func: str = "snake"
    cls: str = "pascal"
    const: str = "upper"


@dataclass
class Namer:
    """Draws fresh names and literals for one file; never hands out the same identifier twice.

    ``words`` records every vocabulary word used, in order, so tests can prove that a split
    only ever drew from its own pool.
    """

    rng: random.Random
    pool: str
    style: NameStyle
    used: set[str] = field(default_factory=set)
    words: list[str] = field(default_factory=list)

    def _p(self, kind: str) -> list:
        return WORD_POOLS[self.pool][kind]

    def _pick(self, kind: str) -> str:
        pool = WORD_POOLS[self.pool]
        if kind in _WILD_KINDS and pool.get("wild") and self.rng.random() < WILD_FRACTION:
            w = pseudo_word(self.rng, _WILD_EXCLUDE)
        else:
            seq = pool[kind]
            w = seq[int(self.rng.random() * len(seq))]  # cheaper than rng.choice; this is the hot path
        self.words.append(w)
        return w

    def _secret_words(self) -> list[str]:
        parts = list(self.rng.choice(self._p("secrets")))
        self.words.append("_".join(parts))  # a secret's name is one vocabulary unit
        return parts

    def _fresh(self, make, case: str) -> str:
        for _ in range(50):
            name = CASES[case](make())
            if name not in self.used:
                self.used.add(name)
                return name
        name = CASES[case]([*make(), str(len(self.used))])
        self.used.add(name)
        return name

    # identifiers -------------------------------------------------------------------------
    def var_words(self) -> list[str]:
        r = self.rng.random()
        if r < 0.45:
            return [self._pick("nouns")]
        if r < 0.75:
            return [self._pick("adjectives"), self._pick("nouns")]
        return [self._pick("nouns"), self._pick("nouns")]

    def var(self) -> str:
        return self._fresh(self.var_words, self.style.var)

    def func(self) -> str:
        return self._fresh(lambda: [self._pick("verbs"), *self.var_words()], self.style.func)

    def cls(self) -> str:
        def make() -> list[str]:
            words = [self._pick("nouns")]
            if self.rng.random() < 0.8:
                words.append(self._pick("suffixes").lower())
            return words

        return self._fresh(make, "pascal")

    def field(self) -> str:
        return self._fresh(self.var_words, "pascal")

    def exported_func(self) -> str:
        return self._fresh(lambda: [self._pick("verbs"), *self.var_words()], "pascal")

    def const(self) -> str:
        return self._fresh(self.var_words, "upper")

    def secret_var(self) -> str:
        return self._fresh(self._secret_words, self.style.var)

    def secret_const(self) -> str:
        return self._fresh(self._secret_words, "upper")

    def local(self, kind: str) -> str:
        """A conventional short local name (buf, p, n …) not yet used in this file."""
        options = [o for o in _LOCALS[kind] if o not in self.used]
        if options:
            name = self.rng.choice(options)
            self.used.add(name)
            return name
        return self.var()

    # literals ----------------------------------------------------------------------------
    def word(self) -> str:
        """A noun not yet used as a literal word in this file (switch labels and map keys stay distinct)."""
        for _ in range(8):
            w = self._pick("nouns")
            if ("word:" + w) not in self.used:
                break
        self.used.add("word:" + w)
        return w

    def key(self) -> str:
        return self._pick("nouns") if self.rng.random() < 0.7 else snake(self.var_words())

    def table(self) -> str:
        noun = self._pick("nouns")
        if noun.endswith("y") and noun[-2] not in "aeiou":
            return noun[:-1] + "ies"
        return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")

    def column(self) -> str:
        return snake(self.var_words()) if self.rng.random() < 0.4 else self._pick("nouns")

    def header(self) -> str:
        return "X-" + "-".join(w.capitalize() for w in self.var_words())

    def message(self) -> str:
        pattern = self.rng.choice(_MESSAGE_PATTERNS)
        return pattern.format(verb=self._pick("verbs"), noun=self._pick("nouns"),
                              noun2=self._pick("nouns"), adj=self._pick("adjectives"))

    def sentence(self) -> str:
        pattern = self.rng.choice(_SENTENCE_PATTERNS)
        verb, noun = self._pick("verbs"), self._pick("nouns")
        return pattern.format(verb=verb, Verb=verb.capitalize(), noun=noun, Noun=noun.capitalize(),
                              noun2=self._pick("nouns"), adj=self._pick("adjectives"))

    def filename(self) -> str:
        return f"{snake(self.var_words())}.{self.rng.choice(_EXTENSIONS)}"

    def directory(self) -> str:
        return self.rng.choice(self._p("dirs"))

    def host(self) -> str:
        return f"{self._pick('nouns')}.{self.rng.choice(self._p('domains'))}"

    def url(self) -> str:
        return f"https://{self.host()}/{self._pick('nouns')}/{self._pick('verbs')}"

    def route(self) -> str:
        return "/" + "/".join(self._pick("nouns") if i == 0 else self._pick("verbs")
                              for i in range(self.rng.choice((1, 2, 2))))

    def number(self) -> str:
        return str(self.rng.choice((2, 3, 5, 8, 10, 16, 20, 25, 30, 50, 64, 100, 128, 256, 500, 1000)))

    def secret_literal(self) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        body = "".join(self.rng.choice(alphabet) for _ in range(self.rng.choice((12, 16, 20, 24, 32))))
        prefix = self.rng.choice(("", "", "sk_live_", "ghp_", "AKIA", "xoxb-", "key-"))
        return prefix + body

    def password_literal(self) -> str:
        base = self._pick("nouns")
        return self.rng.choice((
            f"{base.capitalize()}{self.rng.randint(1, 9999)}!",
            f"{base}_{self.rng.randint(10, 99)}",
            f"S3cure-{base}-{self.rng.randint(100, 999)}",
            f"{base}{self.rng.randint(2015, 2025)}",
        ))

    def command(self) -> str:
        return self.rng.choice(_COMMANDS)

    def program(self) -> str:
        return self.rng.choice(_COMMANDS).split()[0]

    def extension(self) -> str:
        return self.rng.choice(_EXTENSIONS)

    def email(self) -> str:
        return f"{self._pick('nouns')}@{self.rng.choice(self._p('domains'))}"
