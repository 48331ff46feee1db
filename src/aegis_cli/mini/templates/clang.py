"""C and C++: command-line tools, CGI/env readers, stdin filters, sqlite3 and OpenSSL; socket servers are held out.

The C templates are also valid C++ (casts on malloc), so the C++ kit reuses them and adds
std::string / iostream / new-delete variants. Every handler returns int; «bail» returns non-zero.
"""

from __future__ import annotations

import random
import re
from typing import ClassVar

from aegis_cli.mini.engine import (
    Bag,
    FileParts,
    Framework,
    Kit,
    S,
    San,
    Source,
    V,
    fill,
    fillers,
    join_blocks,
    make_spec,
    uses,
)
from aegis_cli.mini.vocab import NameStyle

_NL = "\\n"


def _frameworks(cpp: bool) -> tuple[Framework, ...]:
    read_line = ('std::string «id»;\nif (!std::getline(std::cin, «id»)) {\n    return 1;\n}\nconst char *«v» = «id».c_str();'
                 if cpp else
                 'char «v»[256];\nif (fgets(«v», sizeof(«v»), stdin) == NULL) {\n    return 1;\n}\n«v»[strcspn(«v», "\\n")] = \'\\0\';')
    main_footer = "int main(int argc, char **argv)\n{\n    «routes»\n    return 0;\n}"
    return (
        Framework(
            name="cli",
            sources=(Source(stmt="if (argc < 2) {\n    return 1;\n}\nconst char *«v» = argv[1];"),
                     Source(stmt='const char *«v» = argc > 1 ? argv[1] : "";')),
            handler="static int «fn»(«params»)\n{\n    «body»\n}",
            base_params=("int argc", "char **argv"),
            responses=("return 0;", 'puts("«msg»");\nreturn 0;', 'printf("«msg»' + _NL + '");\nreturn 0;'),
            bail="return 1;",
            footer=main_footer,
            route_line="if («fn»(argc, argv) != 0) {\n    return 1;\n}",
        ),
        Framework(
            name="env",
            sources=(Source(stmt='const char *«v» = getenv("«CONST»");\nif («v» == NULL) {\n    return 1;\n}'),
                     Source(stmt='const char *«v» = getenv("QUERY_STRING");\nif (!«v») {\n    return 1;\n}')),
            handler="static int «fn»(void)\n{\n    «body»\n}",
            responses=("return 0;", 'printf("Content-Type: text/plain' + _NL + _NL + '«msg»' + _NL + '");\nreturn 0;'),
            bail="return 1;",
            footer=main_footer,
            route_line="«fn»();",
        ),
        Framework(
            name="stdin",
            sources=(Source(stmt=read_line),),
            handler="static int «fn»(void)\n{\n    «body»\n}",
            responses=("return 0;", 'fprintf(stderr, "«msg»' + _NL + '");\nreturn 0;'),
            bail="return 1;",
            footer=main_footer,
            route_line="if («fn»() != 0) {\n    return 1;\n}",
        ),
        Framework(
            name="socket",
            held=True,
            sources=(Source(stmt="char «v»[512];\nssize_t «id» = recv(client_fd, «v», sizeof(«v») - 1, 0);\n"
                                 "if («id» <= 0) {\n    return -1;\n}\n«v»[«id»] = '\\0';"),),
            handler="static int «fn»(int client_fd)\n{\n    «body»\n}",
            responses=("return 0;", 'send(client_fd, "OK' + _NL + '", 3, 0);\nreturn 0;'),
            bail="return -1;",
            decls=("int accept_client(void);",),
            footer="int main(void)\n{\n    int fd = accept_client();\n    «routes»\n    close(fd);\n    return 0;\n}",
            route_line="«fn»(fd);",
        ),
    )


def _specs(lang: str, cpp: bool) -> list:
    def spec(cwe, items, sanitizers=(), weight=1.0):
        return make_spec(lang, cwe, items, list(sanitizers), weight)

    extra = {}
    if cpp:
        extra = {
            "CWE-78": [V('std::string «id» = "«cmd» " + std::string(«v»);\n⟦std::system(«id».c_str())⟧;'),
                       S('std::string «id» = "«cmd» «dir»";\nstd::system(«id».c_str());')],
            "CWE-120": [V("std::string «id»(«v»);\nchar «buf»[«BUFSZ»];\n⟦std::strcpy(«buf», «id».c_str())⟧;"),
                        S("std::string «id»(«v»);\nstd::string «id2» = «id».substr(0, «BUFSZ» - 1);")],
            "CWE-416": [V("std::string *«p» = new std::string(«v»);\ndelete «p»;\n⟦std::cout << *«p» << std::endl⟧;", kind="plain"),
                        V("char *«p» = new char[«num»];\ndelete[] «p»;\n⟦«p»[0] = 'x'⟧;", kind="plain", held=True),
                        S("auto «p» = std::make_unique<std::string>(«v»);\nstd::cout << *«p» << std::endl;", kind="plain")],
            "CWE-22": [V('⟦std::ifstream «id»(std::string(«BASE») + "/" + «v»)⟧;\nstd::string «id2»((std::istreambuf_iterator<char>(«id»)), {});'),
                       S('std::filesystem::path «id» = std::filesystem::path(«BASE») / std::filesystem::path(«v»).filename();\nstd::ifstream «id2»(«id»);')],
            "CWE-787": [V("std::vector<int> «arr»(«num»);\nint «idx» = std::atoi(«v»);\n⟦«arr»[«idx»] = 1⟧;"),
                        S("std::vector<int> «arr»(«num»);\nint «idx» = std::atoi(«v»);\n«arr».at(«idx») = 1;")],
        }

    def plus(cwe):
        return extra.get(cwe, [])

    cmd_guard = San("for (const char *«id» = «in»; *«id»; «id»++) {\n    if (!isalnum((unsigned char)*«id») && *«id» != '.') {\n        «bail»\n    }\n}",
                    guard=True)
    return [
        spec("CWE-120", [
            V("char «buf»[«BUFSZ»];\n⟦strcpy(«buf», «v»)⟧;"),
            V('char «buf»[«BUFSZ»] = "«word»: ";\n⟦strcat(«buf», «v»)⟧;', sanitizable=False),
            V('char «buf»[«BUFSZ»];\n⟦sprintf(«buf», "«word»=%s", «v»)⟧;', sanitizable=False),
            V("char «buf»[«BUFSZ»];\n⟦memcpy(«buf», «v», strlen(«v») + 1)⟧;"),
            V("char «buf»[«BUFSZ»];\n⟦strncpy(«buf», «v», strlen(«v»))⟧;", held=True),
            V('char «buf»[«BUFSZ»];\n⟦sprintf(«buf», "%s/%s", «BASE», «v»)⟧;', held=True, sanitizable=False),
            S('char «buf»[«BUFSZ»];\nsnprintf(«buf», sizeof(«buf»), "%s", «v»);'),
            S("char «buf»[«BUFSZ»];\nstrncpy(«buf», «v», sizeof(«buf») - 1);\n«buf»[sizeof(«buf») - 1] = '\\0';"),
            S("char «buf»[«BUFSZ»];\nif (strlen(«v») >= sizeof(«buf»)) {\n    «bail»\n}\nstrcpy(«buf», «v»);"),
            S('char «buf»[«BUFSZ»] = "«word»: ";\nstrncat(«buf», «v», sizeof(«buf») - strlen(«buf») - 1);'),
            S("size_t «id» = strnlen(«v», «BUFSZ» - 1);\nchar «buf»[«BUFSZ»];\nmemcpy(«buf», «v», «id»);\n«buf»[«id»] = '\\0';", held=True),
            *plus("CWE-120"),
        ], [San("if (strlen(«in») >= «BUFSZ») {\n    «bail»\n}", guard=True)], weight=1.5),
        spec("CWE-676", [
            V("char «buf»[«BUFSZ»];\n⟦std::cin >> «buf»⟧;" if cpp else "char «buf»[«BUFSZ»];\n⟦gets(«buf»)⟧;", kind="plain"),
            V('char «buf»[«BUFSZ»];\n⟦scanf("%s", «buf»)⟧;', kind="plain"),
            V('char «buf»[«BUFSZ»];\n⟦fscanf(stdin, "%s", «buf»)⟧;', kind="plain", held=True),
            S("char «buf»[«BUFSZ»];\nif (fgets(«buf», sizeof(«buf»), stdin) == NULL) {\n    «bail»\n}", kind="plain"),
            S('char «buf»[64];\nif (scanf("%63s", «buf») != 1) {\n    «bail»\n}', kind="plain"),
        ], weight=0.8),
        spec("CWE-134", [
            V("⟦printf(«v»)⟧;"),
            V("⟦fprintf(stderr, «v»)⟧;"),
            V("⟦syslog(LOG_INFO, «v»)⟧;"),
            V("char «buf»[«BUFSZ»];\n⟦snprintf(«buf», sizeof(«buf»), «v»)⟧;", held=True),
            S('printf("%s' + _NL + '", «v»);'),
            S("fputs(«v», stdout);"),
            S('syslog(LOG_INFO, "%s", «v»);'),
            S('char «buf»[«BUFSZ»];\nsnprintf(«buf», sizeof(«buf»), "%s", «v»);', held=True),
        ], weight=1.0),
        spec("CWE-78", [
            V('char «cmdbuf»[«BUFSZ»];\nsnprintf(«cmdbuf», sizeof(«cmdbuf»), "«cmd» %s", «v»);\n⟦system(«cmdbuf»)⟧;'),
            V('char «cmdbuf»[«BUFSZ»];\nsnprintf(«cmdbuf», sizeof(«cmdbuf»), "«cmd» %s", «v»);\nFILE *«fp» = ⟦popen(«cmdbuf», "r")⟧;\nif («fp») {\n    pclose(«fp»);\n}'),
            V('char «cmdbuf»[«BUFSZ»] = "«cmd» ";\nstrncat(«cmdbuf», «v», sizeof(«cmdbuf») - strlen(«cmdbuf») - 1);\n⟦execl("/bin/sh", "sh", "-c", «cmdbuf», (char *)NULL)⟧;'),
            V('char «cmdbuf»[«BUFSZ»];\nsnprintf(«cmdbuf», sizeof(«cmdbuf»), "«cmd» \'%s\'", «v»);\nint «id» = ⟦system(«cmdbuf»)⟧;', held=True),
            S('execlp("«prog»", "«prog»", «v», (char *)NULL);'),
            S('int «id» = system("«cmd» «dir»");'),
            S('char *const «id»[] = {(char *)"«prog»", (char *)«v», NULL};\nexecvp("«prog»", «id»);'),
            S('pid_t «id» = fork();\nif («id» == 0) {\n    execlp("«prog»", "«prog»", "--", «v», (char *)NULL);\n    _exit(127);\n}', held=True),
            *plus("CWE-78"),
        ], [cmd_guard], weight=1.3),
        spec("CWE-89", [
            V('char «sql»[«BUFSZ»];\nsnprintf(«sql», sizeof(«sql»), "SELECT * FROM «tbl» WHERE «col» = \'%s\';", «v»);\n⟦sqlite3_exec(«db», «sql», NULL, NULL, NULL)⟧;'),
            V('char «sql»[256] = "DELETE FROM «tbl» WHERE «col» = ";\nstrncat(«sql», «v», sizeof(«sql») - strlen(«sql») - 1);\n⟦sqlite3_exec(«db», «sql», NULL, NULL, NULL)⟧;'),
            V('char «sql»[«BUFSZ»];\nsqlite3_stmt *«stmt»;\nsnprintf(«sql», sizeof(«sql»), "SELECT «col» FROM «tbl» WHERE «col2» = \'%s\'", «v»);\n⟦sqlite3_prepare_v2(«db», «sql», -1, &«stmt», NULL)⟧;', held=True),
            S('sqlite3_stmt *«stmt»;\nsqlite3_prepare_v2(«db», "SELECT * FROM «tbl» WHERE «col» = ?", -1, &«stmt», NULL);\nsqlite3_bind_text(«stmt», 1, «v», -1, SQLITE_TRANSIENT);\nsqlite3_step(«stmt»);\nsqlite3_finalize(«stmt»);'),
            S('sqlite3_exec(«db», "DELETE FROM «tbl» WHERE «col» < 0;", NULL, NULL, NULL);'),
            S('char *«sql» = sqlite3_mprintf("SELECT * FROM «tbl» WHERE «col» = %Q;", «v»);\nsqlite3_exec(«db», «sql», NULL, NULL, NULL);\nsqlite3_free(«sql»);', held=True),
        ], [San("for (const char *«id» = «in»; *«id»; «id»++) {\n    if (!isdigit((unsigned char)*«id»)) {\n        «bail»\n    }\n}", guard=True)],
            weight=0.9),
        spec("CWE-22", [
            V('char «path»[«BUFSZ»];\nsnprintf(«path», sizeof(«path»), "%s/%s", «BASE», «v»);\nFILE *«fp» = ⟦fopen(«path», "r")⟧;\nif («fp») {\n    fclose(«fp»);\n}'),
            V('char «path»[«BUFSZ»];\nsnprintf(«path», sizeof(«path»), "%s/%s", «BASE», «v»);\nint «fd» = ⟦open(«path», O_RDONLY)⟧;\nif («fd» >= 0) {\n    close(«fd»);\n}'),
            V('char «path»[«BUFSZ»];\nsnprintf(«path», sizeof(«path»), "«dir»/%s", «v»);\n⟦unlink(«path»)⟧;', held=True),
            S('if (strchr(«v», \'/\') != NULL || strstr(«v», "..") != NULL) {\n    «bail»\n}\nchar «path»[«BUFSZ»];\nsnprintf(«path», sizeof(«path»), "%s/%s", «BASE», «v»);\nFILE *«fp» = fopen(«path», "r");\nif («fp») {\n    fclose(«fp»);\n}'),
            S('FILE *«fp» = fopen(«BASE» "/«file»", "r");\nif («fp») {\n    fclose(«fp»);\n}'),
            S('char «path»[PATH_MAX];\nchar «path2»[«BUFSZ»];\nsnprintf(«path2», sizeof(«path2»), "%s/%s", «BASE», «v»);\nif (realpath(«path2», «path») == NULL || strncmp(«path», «BASE», strlen(«BASE»)) != 0) {\n    «bail»\n}\nint «fd» = open(«path», O_RDONLY);\nif («fd» >= 0) {\n    close(«fd»);\n}', held=True),
            *plus("CWE-22"),
        ], [San('if (strstr(«in», "..") != NULL) {\n    «bail»\n}', guard=True)], weight=1.0),
        spec("CWE-190", [
            V("size_t «n» = strtoul(«v», NULL, 10);\nlong *«p» = (long *)⟦malloc(«n» * sizeof(long))⟧;\nif («p») {\n    free(«p»);\n}"),
            V("int «n» = atoi(«v»);\nint «id» = ⟦«n» * «num»⟧;\nchar *«p» = (char *)malloc(«id»);\nfree(«p»);"),
            V("unsigned short «n» = (unsigned short)atoi(«v»);\n⟦«n» += «num»⟧;\nchar *«p» = (char *)malloc(«n»);\nfree(«p»);", held=True),
            S("size_t «n» = strtoul(«v», NULL, 10);\nif («n» > SIZE_MAX / sizeof(long)) {\n    «bail»\n}\nlong *«p» = (long *)malloc(«n» * sizeof(long));\nfree(«p»);"),
            S("size_t «n» = strtoul(«v», NULL, 10);\nlong *«p» = (long *)calloc(«n», sizeof(long));\nfree(«p»);"),
            S("long «n» = strtol(«v», NULL, 10);\nif («n» <= 0 || «n» > «num»00) {\n    «bail»\n}\nchar *«p» = (char *)malloc((size_t)«n» * «num»);\nfree(«p»);", held=True),
        ], weight=0.8),
        spec("CWE-787", [
            V("int «arr»[«num»] = {0};\nint «idx» = atoi(«v»);\n⟦«arr»[«idx»] = 1⟧;"),
            V("char «buf»[«BUFSZ»];\nsize_t «n» = strlen(«v»);\nfor (size_t «i» = 0; «i» <= «n»; «i»++) {\n    ⟦«buf»[«i»] = «v»[«i»]⟧;\n}"),
            S("int «arr»[«num»] = {0};\nint «idx» = atoi(«v»);\nif («idx» < 0 || «idx» >= (int)(sizeof(«arr») / sizeof(«arr»[0]))) {\n    «bail»\n}\n«arr»[«idx»] = 1;"),
            S("char «buf»[«BUFSZ»];\nsize_t «n» = strlen(«v»);\nfor (size_t «i» = 0; «i» < «n» && «i» < sizeof(«buf») - 1; «i»++) {\n    «buf»[«i»] = «v»[«i»];\n}"),
            *plus("CWE-787"),
        ], weight=0.8),
        spec("CWE-416", [
            V('char *«p» = strdup(«v»);\nfree(«p»);\n⟦printf("%s' + _NL + '", «p»)⟧;', kind="plain"),
            V("char *«p» = (char *)malloc(«num»);\nif (!«p») {\n    «bail»\n}\nfree(«p»);\n⟦«p»[0] = '\\0'⟧;", kind="plain"),
            V("char *«p» = strdup(«v»);\nif (strlen(«p») > «num») {\n    free(«p»);\n}\n⟦size_t «n» = strlen(«p»)⟧;", kind="plain", held=True),
            S('char *«p» = strdup(«v»);\nprintf("%s' + _NL + '", «p»);\nfree(«p»);', kind="plain"),
            S("char *«p» = (char *)malloc(«num»);\nif (!«p») {\n    «bail»\n}\n«p»[0] = '\\0';\nfree(«p»);\n«p» = NULL;", kind="plain"),
            *plus("CWE-416"),
        ], weight=0.8),
        spec("CWE-476", [
            V("char *«p» = (char *)malloc(«num»);\n⟦«p»[0] = '\\0'⟧;\nfree(«p»);", kind="plain"),
            V('const char *«e» = getenv("«CONST»");\n⟦size_t «n» = strlen(«e»)⟧;', kind="plain"),
            V('FILE *«fp» = fopen("«dir»/«file»", "r");\nchar «buf»[«BUFSZ»];\n⟦fgets(«buf», sizeof(«buf»), «fp»)⟧;', kind="plain", held=True),
            S("char *«p» = (char *)malloc(«num»);\nif («p» == NULL) {\n    «bail»\n}\n«p»[0] = '\\0';\nfree(«p»);", kind="plain"),
            S('const char *«e» = getenv("«CONST»");\nsize_t «n» = «e» ? strlen(«e») : 0;', kind="plain"),
            S('FILE *«fp» = fopen("«dir»/«file»", "r");\nif («fp» == NULL) {\n    «bail»\n}\nchar «buf»[«BUFSZ»];\nif (fgets(«buf», sizeof(«buf»), «fp») == NULL) {\n    fclose(«fp»);\n    «bail»\n}\nfclose(«fp»);', kind="plain", held=True),
        ], weight=0.8),
        spec("CWE-377", [
            V("char «buf»[L_tmpnam];\n⟦tmpnam(«buf»)⟧;\nFILE *«fp» = fopen(«buf», \"w\");", kind="plain"),
            V('char «tmpl»[] = "/tmp/«word»XXXXXX";\n⟦mktemp(«tmpl»)⟧;\nint «fd» = open(«tmpl», O_CREAT | O_WRONLY, 0600);', kind="plain"),
            V('FILE *«fp» = ⟦fopen("/tmp/«file»", "w")⟧;', kind="plain", held=True),
            S('char «tmpl»[] = "/tmp/«word»XXXXXX";\nint «fd» = mkstemp(«tmpl»);\nif («fd» < 0) {\n    «bail»\n}', kind="plain"),
            S("FILE *«fp» = tmpfile();\nif («fp» == NULL) {\n    «bail»\n}", kind="plain"),
        ], weight=0.5),
        spec("CWE-327", [
            V("EVP_CIPHER_CTX *«ctx» = EVP_CIPHER_CTX_new();\n⟦EVP_EncryptInit_ex(«ctx», EVP_des_ecb(), NULL, «KEY», NULL)⟧;", kind="plain"),
            V("EVP_CIPHER_CTX *«ctx» = EVP_CIPHER_CTX_new();\n⟦EVP_EncryptInit_ex(«ctx», EVP_aes_128_ecb(), NULL, «KEY», NULL)⟧;", kind="plain"),
            V("EVP_CIPHER_CTX *«ctx» = EVP_CIPHER_CTX_new();\n⟦EVP_EncryptInit_ex(«ctx», EVP_rc4(), NULL, «KEY», NULL)⟧;", kind="plain", held=True),
            S("EVP_CIPHER_CTX *«ctx» = EVP_CIPHER_CTX_new();\nEVP_EncryptInit_ex(«ctx», EVP_aes_256_gcm(), NULL, «KEY», «iv»);", kind="plain"),
            S("EVP_CIPHER_CTX *«ctx» = EVP_CIPHER_CTX_new();\nEVP_EncryptInit_ex(«ctx», EVP_chacha20_poly1305(), NULL, «KEY», «iv»);", kind="plain", held=True),
        ], weight=0.6),
        spec("CWE-328", [
            V("unsigned char «digest»[MD5_DIGEST_LENGTH];\n⟦MD5((const unsigned char *)«v», strlen(«v»), «digest»)⟧;", kind="plain"),
            V("unsigned char «digest»[SHA_DIGEST_LENGTH];\n⟦SHA1((const unsigned char *)«v», strlen(«v»), «digest»)⟧;", kind="plain"),
            V("EVP_MD_CTX *«ctx» = EVP_MD_CTX_new();\n⟦EVP_DigestInit_ex(«ctx», EVP_md5(), NULL)⟧;", kind="plain", held=True),
            S("unsigned char «digest»[SHA256_DIGEST_LENGTH];\nSHA256((const unsigned char *)«v», strlen(«v»), «digest»);", kind="plain"),
            S("unsigned char «digest»[32];\nPKCS5_PBKDF2_HMAC(«v», (int)strlen(«v»), «salt», 16, 310000, EVP_sha256(), 32, «digest»);", kind="plain"),
        ], weight=0.6),
        spec("CWE-338", [
            V("srand((unsigned)time(NULL));\nint «sec» = ⟦rand()⟧ % 1000000;", kind="plain"),
            V('char «sec»[33];\nfor (int «i» = 0; «i» < 32; «i»++) {\n    «sec»[«i»] = "0123456789abcdef"[⟦rand()⟧ % 16];\n}\n«sec»[32] = \'\\0\';', kind="plain"),
            V("long «sec» = ⟦random()⟧;", kind="plain", held=True),
            S("unsigned char «sec»[32];\nif (RAND_bytes(«sec», sizeof(«sec»)) != 1) {\n    «bail»\n}", kind="plain"),
            S("unsigned char «sec»[32];\nif (getrandom(«sec», sizeof(«sec»), 0) != (ssize_t)sizeof(«sec»)) {\n    «bail»\n}", kind="plain"),
            S("int «id» = rand() % «num»;\nusleep((useconds_t)«id» * 1000);", kind="plain"),
        ], weight=0.7),
        spec("CWE-798", [
            V('⟦static const char *«SEC» = "«secret»";⟧', kind="module"),
            V('⟦#define «SEC» "«pw»"⟧', kind="module"),
            V('if (⟦strcmp(«v», "«pw»") == 0⟧) {\n    «bail»\n}', kind="plain"),
            S('static const char *«CONST» = "«word»";', kind="module"),
            S('const char *«sec» = getenv("«SEC»");\nif («sec» == NULL) {\n    «bail»\n}', kind="plain"),
            S('#define «CONST» "«dir»"', kind="module"),
        ], weight=0.8),
    ]


MODULE_FILLERS = [
    "static int «fn»(const int *«id», size_t «n»)\n{\n    int «id2» = 0;\n    for (size_t «i» = 0; «i» < «n»; «i»++) {\n        «id2» += «id»[«i»];\n    }\n    return «id2»;\n}",
    "struct «id» {\n    char «id2»[«num»];\n    int «id3»;\n};",
    "#define «CONST» «num»",
    "static const char *«fn»(int «id»)\n{\n    switch («id») {\n    case 0:\n        return \"«word»\";\n    case 1:\n        return \"«word2»\";\n    default:\n        return \"unknown\";\n    }\n}",
    "/* «doc» */\nstatic size_t «fn»(const char *«id»)\n{\n    size_t «n» = 0;\n    while («id» && «id»[«n»] != '\\0') {\n        «n»++;\n    }\n    return «n»;\n}",
    "static int «fn»(int «id», int «id2»)\n{\n    return «id» > «id2» ? «id» : «id2»;\n}",
    "static void «fn»(char *«id»)\n{\n    for (; *«id»; «id»++) {\n        *«id» = (char)tolower((unsigned char)*«id»);\n    }\n}",
    ("enum «id» {\n    «CONST»,\n    «CONST2»,\n    «CONST3»\n};", {"held": True}),
    "struct «id» {\n    int value;\n    struct «id» *next;\n};\n\nstatic struct «id» *«fn»(struct «id» *head, int value)\n{\n"
    "    struct «id» *node = (struct «id» *)calloc(1, sizeof(*node));\n    if (node == NULL) {\n        return head;\n    }\n"
    "    node->value = value;\n    node->next = head;\n    return node;\n}",
    "static char *«fn»(char *«id»)\n{\n    char *end;\n    while (isspace((unsigned char)*«id»)) {\n        «id»++;\n    }\n"
    "    end = «id» + strlen(«id»);\n    while (end > «id» && isspace((unsigned char)end[-1])) {\n        end--;\n    }\n"
    "    *end = '\\0';\n    return «id»;\n}",
    "static int «fn»(int v, int lo, int hi)\n{\n    return v < lo ? lo : (v > hi ? hi : v);\n}",
    "static void «fn»(const char *prog)\n{\n    fprintf(stderr, \"usage: %s [«word»]" + _NL + "\", prog);\n}",
    ("static double «fn»(const double *«id», size_t «n»)\n{\n    double «id2» = 0.0;\n    for (size_t «i» = 0; «i» < «n»; «i»++) {\n        «id2» += «id»[«i»];\n    }\n    return «n» ? «id2» / (double)«n» : 0.0;\n}", {"held": True}),
]
STMT_FILLERS = [
    "int «id» = «num»;\n(void)«id»;", "/* «doc» */", '// «msg»', "size_t «id» = 0;\n(void)«id»;",
    ('fprintf(stderr, "«msg»' + _NL + '");', {"held": True}),
]

_HEADERS = (
    ("printf(", "stdio.h"), ("fprintf(", "stdio.h"), ("snprintf(", "stdio.h"), ("sprintf(", "stdio.h"), ("puts(", "stdio.h"),
    ("fopen(", "stdio.h"), ("fgets(", "stdio.h"), ("popen(", "stdio.h"), ("FILE ", "stdio.h"), ("gets(", "stdio.h"),
    ("scanf(", "stdio.h"), ("fscanf(", "stdio.h"), ("stdin", "stdio.h"), ("stderr", "stdio.h"), ("tmpnam(", "stdio.h"), ("fputs(", "stdio.h"), ("tmpfile(", "stdio.h"), ("L_tmpnam", "stdio.h"),
    ("strcpy(", "string.h"), ("strcat(", "string.h"), ("strlen(", "string.h"), ("memcpy(", "string.h"), ("strncpy(", "string.h"),
    ("strchr(", "string.h"), ("strstr(", "string.h"), ("strdup(", "string.h"), ("strcmp(", "string.h"), ("strncat(", "string.h"),
    ("strcspn(", "string.h"), ("strspn(", "string.h"), ("strncmp(", "string.h"), ("strnlen(", "string.h"),
    ("malloc(", "stdlib.h"), ("free(", "stdlib.h"), ("getenv(", "stdlib.h"), ("system(", "stdlib.h"), ("atoi(", "stdlib.h"),
    ("strtoul(", "stdlib.h"), ("strtol(", "stdlib.h"), ("calloc(", "stdlib.h"), ("rand(", "stdlib.h"), ("srand(", "stdlib.h"),
    ("mkstemp(", "stdlib.h"), ("mktemp(", "stdlib.h"), ("realpath(", "stdlib.h"), ("random(", "stdlib.h"),
    ("size_t", "stddef.h"), ("ssize_t", "sys/types.h"), ("SIZE_MAX", "stdint.h"), ("PATH_MAX", "limits.h"), ("isalnum(", "ctype.h"), ("isdigit(", "ctype.h"),
    ("tolower(", "ctype.h"), ("isspace(", "ctype.h"), ("time(", "time.h"), ("syslog(", "syslog.h"), ("open(", "fcntl.h"), ("O_RDONLY", "fcntl.h"),
    ("close(", "unistd.h"), ("unlink(", "unistd.h"), ("execl(", "unistd.h"), ("execlp(", "unistd.h"), ("execvp(", "unistd.h"),
    ("fork(", "unistd.h"), ("usleep(", "unistd.h"), ("_exit(", "unistd.h"), ("pid_t", "sys/types.h"),
    ("recv(", "sys/socket.h"), ("send(", "sys/socket.h"), ("getrandom(", "sys/random.h"), ("sqlite3", "sqlite3.h"),
    ("EVP_", "openssl/evp.h"), ("MD5(", "openssl/md5.h"), ("SHA1(", "openssl/sha.h"), ("SHA256(", "openssl/sha.h"),
    ("RAND_bytes(", "openssl/rand.h"), ("PKCS5_PBKDF2_HMAC(", "openssl/evp.h"),
)
_CPP_HEADERS = (
    ("std::string", "string"), ("std::cout", "iostream"), ("std::cin", "iostream"), ("std::getline", "string"),
    ("std::ifstream", "fstream"), ("std::filesystem", "filesystem"), ("std::vector", "vector"),
    ("std::make_unique", "memory"), ("std::istreambuf_iterator", "iterator"), ("std::atoi", "cstdlib"),
    ("std::system", "cstdlib"), ("std::strcpy", "cstring"),
)


_DEFINITION = re.compile(r"^(static [\w ]+?[ *]+(\w+)\(([^)]*)\))\n\{", re.M)


def _prototypes(body: str) -> list[str]:
    """Declarations for static functions called above their definition (C needs them first)."""
    out = []
    for m in _DEFINITION.finditer(body):
        first_use = re.search(rf"\b{m.group(2)}\(", body)
        if first_use and first_use.start() < m.start():
            out.append(m.group(1) + ";")
    return out


class CKit(Kit):
    name = "c"
    ext = ".c"
    style = NameStyle(var="snake", func="snake")
    indents = (("    ", 0.6), ("\t", 0.25), ("  ", 0.15))
    # no bounded copy here: truncating the input would defuse an overflow the label still claims
    transforms = ("const char *«out» = «in»;", 'const char *«out» = «in» + strspn(«in», " ");')
    neutral_uses = ("if (strlen(«var») > «num») {\n    «bail»\n}", 'fprintf(stderr, "«msg» (%zu)' + _NL + '", strlen(«var»));')
    helper_bail = "return -1;"
    file_slots: ClassVar[dict[str, tuple[str, ...]]] = {
        "BUFSZ": ("64", "128", "256", "512"), "db": ("db", "conn", "g_db"), "BASE": ("BASE_DIR", "DATA_DIR", "SPOOL_DIR"),
        "KEY": ("g_key", "key"), "iv": ("g_iv", "iv"), "salt": ("g_salt", "salt"),
    }
    slot_decls: ClassVar[dict[str, str]] = {
        "db": "static sqlite3 *«db»;",
        "BASE": '#define «BASE» "«dir»"',
        "KEY": "static unsigned char «KEY»[32];",
        "iv": "static unsigned char «iv»[12];",
        "salt": "static unsigned char «salt»[16];",
    }
    cpp = False

    def __init__(self) -> None:
        self.frameworks = _frameworks(self.cpp)
        self.specs = tuple(_specs(self.name, self.cpp))
        self.fillers = fillers(self.name, "module", MODULE_FILLERS) + fillers(self.name, "stmt", STMT_FILLERS)

    def assign(self, var: str, expr: str) -> str:
        return f"const char *{var} = {expr};"

    def call(self, fn: str, args: list[str], bag: Bag) -> str:
        return f"if ({fn}({', '.join(args)}) != 0) {{\n    «bail_err»\n}}"

    def helper(self, fn: str, params: list[str], body: str, bag: Bag) -> str:
        doc = "/* «doc» */\n" if bag.namer.rng.random() < 0.35 else ""
        sig = ", ".join(f"const char *{p}" for p in params)
        return fill(f"{doc}static int {fn}({sig})\n{{\n    «body»\n    return 0;\n}}", bag.child(body=body))

    def path(self, rng: random.Random, namer, framework: Framework, bag: Bag) -> str:
        return f"{rng.choice(('src', 'tools', 'lib', 'cmd'))}/{namer.func() if rng.random() < 0.5 else namer.word()}{self.ext}"

    def render(self, parts: FileParts, framework: Framework, bag: Bag, rng: random.Random) -> str:
        blocks = list(parts.blocks)
        footer = ""
        if framework.footer and parts.handlers:
            if len(parts.handlers) == 1 and framework.name == "cli" and rng.random() < 0.5:
                # a one-handler tool is often just main()
                fn = parts.handlers[0][0]
                blocks = [b.replace(f"static int {fn}(int argc, char **argv)", "int main(int argc, char **argv)") for b in blocks]
            else:
                lines = [fill(framework.route_line, bag.child(fn=fn)) for fn, _, _ in parts.handlers]
                footer = fill(framework.footer, bag.child(routes="\n".join(lines)))
        body = join_blocks(blocks, 1)
        defines = [d for d in parts.decls if d.startswith("#")]
        others = [d for d in parts.decls if not d.startswith("#")] + _prototypes(body)
        text = "\n\n".join(x for x in ("\n".join(defines), "\n".join(others), body, footer) if x)
        headers: list[str] = []
        for trigger, header in _HEADERS:
            if header not in headers and uses(text, trigger):
                headers.append(header)
        if self.cpp:
            headers = [{"stdio.h": "cstdio", "string.h": "cstring", "stdlib.h": "cstdlib", "ctype.h": "cctype",
                        "stdint.h": "cstdint", "time.h": "ctime", "limits.h": "climits",
                        "stddef.h": "cstddef"}.get(h, h) for h in headers]
            for trigger, header in _CPP_HEADERS:
                if header not in headers and trigger in text:
                    headers.append(header)
        system = sorted({h for h in headers if not h.startswith(("sqlite3", "openssl"))})
        libs = sorted({h for h in headers if h.startswith(("sqlite3", "openssl"))})
        include = "\n".join(f"#include <{h}>" for h in system + libs)
        head = []
        if rng.random() < 0.4:
            head.append(fill("/*\n * «doc»\n */", bag.child()))
        if "getrandom(" in text or "strdup(" in text or "realpath(" in text:
            head.append("#define _GNU_SOURCE")
        return "\n\n".join(x for x in ("\n".join(head), include, text) if x) + "\n"


class CppKit(CKit):
    name = "cpp"
    ext = ".cpp"
    cpp = True


C_KIT = CKit()
CPP_KIT = CppKit()
