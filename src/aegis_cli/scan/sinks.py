"""What the sink of a CWE is spelt with: a plausibility check for line-level findings.

``SINK_PATTERNS`` maps a CWE to a case-insensitive regular expression one of whose tokens every
sink of that CWE contains, in any of the languages aegis scans (a hard-coded credential holds a
quote, ``=`` or a secret's name; an SQL injection holds ``execute``, ``query``, ``SELECT`` …).
The aegis-mini data generator proves every label it writes against it, and a token classifier
whose preset sets ``labels.sink_check`` drops a finding whose lines hold none of its CWE's tokens
(a CWE-798 finding on ``function deliverOlive(order) {`` is a model misreading a name, not a
credential). CWEs without a pattern are never dropped. No heavy imports: the scan path uses it.
"""

from __future__ import annotations

import functools
import re

SINK_PATTERNS: dict[str, str] = {
    "CWE-22": r"open|file|File|read|send|Path|path|copy|remove|unlink|extract|include|require|fs\.|Stream|stream|download|serve",
    "CWE-78": r"capture|system|exec|popen|Popen|spawn|run|call|Command|shell|Process|passthru|`|%x|check_output|getoutput",
    "CWE-79": r"<|html|HTML|Html|autoescape|innerHTML|write|send|echo|print|Markup|mark_safe|raw|Content|render|body",
    "CWE-89": r"order|execute|query|Query|exec|raw|prepare|sql|Sql|SQL|select|SELECT|read_sql|find_by_sql|where|Exec|FromSql|update|Update|delete|insert|CommandText|DELETE|UPDATE|INSERT",
    "CWE-90": r"search|Search|Filter|filter|ldap|uid=|cn=",
    "CWE-94": r"inline|import|from_string|exec|compile|render|Template|Function|vm\.|eval|template|Compile|instance_eval|class_eval|create_function|ScriptEngine|setTimeout|setInterval|send|constantize|include|require|call_user_func|preg_replace|\$\w+\(",
    "CWE-95": r"eval|assert",
    "CWE-117": r"log|Log|info|warn|error|debug|print",
    "CWE-120": r"strcpy|strcat|sprintf|memcpy|gets|scanf|vsprintf|wcscpy|strncpy|copy|\[",
    "CWE-134": r"printf|syslog|err|Printf|format",
    "CWE-190": r"\*|\+|malloc|alloc|new|calloc|realloc|<<",
    "CWE-209": r"trace|Trace|stack|Stack|message|Message|error|Error|getMessage|err|exc|exception|detail|ToString|display_errors",
    "CWE-295": r"verify|Verify|CERT_NONE|unverified|reject|Insecure|TrustManager|Hostname|VERIFYPEER|VERIFYHOST|ServerCertificate|VERIFY_NONE|TLS|ssl|SSL|checkServerTrusted|return true",
    "CWE-312": r"write|password|localStorage|setItem|put|save|insert|INSERT|execute|store|cookie|Cookie|dump|set",
    "CWE-327": r"DES|ECB|RC4|ARC4|Blowfish|des|ecb|rc4|bf-|Cipher|cipher",
    "CWE-328": r"md5|sha1|sha-1|crypt",
    "CWE-338": r"shuffle|rand|Rand|random|Random|uuid1|mt_rand|Math\.random|uniqid",
    "CWE-352": r"csrf|CSRF|Csrf|forgery|authenticity_token|IgnoreAntiforgery|Antiforgery",
    "CWE-377": r"mktemp|tmp|tempnam|tmpnam|Temp|temp",
    "CWE-416": r"\w",
    "CWE-434": r"open|save|move|write|transferTo|upload|Upload|copy|File|file|mv|Copy",
    "CWE-476": r"->|\*|\[|\.|strlen|fgets",
    "CWE-502": r"load|Load|unserialize|Unserialize|decode|Deserialize|deserialize|readObject|ReadObject|unmarshal|Marshal|fromXML|parse|Parse",
    "CWE-532": r"log|Log|print|info|debug|warn|error|console|Print|puts|write",
    "CWE-601": r"redirect|location|header|SeeOther|Found",
    "CWE-611": r"entit|Entit|DTD|dtd|Feature|feature|XMLParser|noent|NOENT|Resolver|DtdProcessing|resolve|parse|load|Load|disable_entity|XmlReader|external",
    "CWE-614": r"[Cc]ookie|Secure|secure",
    "CWE-643": r"xpath|XPath|evaluate|select|query|Query|find|Select|compile|Evaluate",
    "CWE-676": r"gets|strtok|scanf|sprintf|strcpy|atoi|system|cin",
    "CWE-787": r"\[",
    "CWE-798": r"['\"`]",  # a credential written into code is a literal
    "CWE-918": r"get|Get|open|fetch|request|Request|urlopen|curl|http|Http|HTTP|URL|url|post|Post|Download|axios|file_get_contents",
    "CWE-943": r"find|where|\$|aggregate|Find|query",
    "CWE-1321": r"\[|merge|assign|extend|set|__proto__|defaults",
    "CWE-319": r"http://|FTP|telnet|SMTP|urlopen",
    "CWE-326": r"generate|key_size|bits|1024|512",
    "CWE-489": r"debug|DEBUG",
    "CWE-732": r"chmod|makedirs|umask|mkdir|Permission",
    "CWE-1333": r"re\.|RegExp|Regex|regex|Pattern|compile|match|preg_|MatchString|=~|Match|test|search|new",
}


@functools.cache
def _compiled(cwe: str) -> re.Pattern[str] | None:
    pattern = SINK_PATTERNS.get(cwe)
    return re.compile(pattern, re.I) if pattern is not None else None


def fits_sink(cwe: str | None, text: str) -> bool:
    """True when ``text`` (a finding's lines) holds something a sink of ``cwe`` is spelt with.

    Unknown CWEs (and findings without one) always fit: the check only removes what it can judge.
    """
    compiled = _compiled(cwe) if cwe else None
    return compiled is None or compiled.search(text) is not None
