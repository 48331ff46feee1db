"""Java: Spring MVC, servlets, JDBC/JPA, plain library classes; JAX-RS is held out.

A Java file is one public class: declarations become fields, blocks become methods, and the
file is named after the class. Imports are derived from the simple class names the code uses.
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
)
from aegis_cli.mini.vocab import NameStyle

L = "java"


def spec(cwe, items, sanitizers=(), weight=1.0):
    return make_spec(L, cwe, items, list(sanitizers), weight)


SPRING = Framework(
    name="spring",
    imports=("org.springframework.web.bind.annotation.*",),
    sources=(
        Source(param='@RequestParam("«key»") String «v»'), Source(param="@RequestParam String «v»"),
        Source(param="@PathVariable String «v»", route="/{«v»}"), Source(param='@RequestHeader("«hdr»") String «v»'),
        Source(param='@CookieValue("«key»") String «v»'), Source(param="@RequestBody String «v»"),
    ),
    handler='@«method_cap»Mapping("«route»")\npublic String «fn»(«params») throws Exception {\n    «body»\n}',
    responses=('return "«word»";', 'return "ok";', "return String.valueOf(«num»);"),
    bail='throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "«msg»");',
    wrapper='@RestController\n@RequestMapping("/«word»")\npublic class «main_cls» {\n\n    «members»\n}',
)

SERVLET = Framework(
    name="servlet",
    imports=("jakarta.servlet.annotation.WebServlet", "jakarta.servlet.http.HttpServlet",
             "jakarta.servlet.http.HttpServletRequest", "jakarta.servlet.http.HttpServletResponse"),
    sources=(
        Source(expr='request.getParameter("«key»")'), Source(expr='request.getHeader("«hdr»")'),
        Source(expr='String.valueOf(request.getParameter("«key»"))'), Source(expr="request.getQueryString()"),
    ),
    handler="private void «fn»(HttpServletRequest request, HttpServletResponse response) throws Exception {\n    «body»\n}",
    responses=('response.getWriter().write("«msg»");', "response.setStatus(HttpServletResponse.SC_NO_CONTENT);",
               'response.setContentType("application/json");\nresponse.getWriter().print("{}");'),
    bail='response.sendError(HttpServletResponse.SC_BAD_REQUEST, "«msg»");\nreturn;',
    wrapper='@WebServlet("/«word»/*")\npublic class «main_cls» extends HttpServlet {\n\n    «members»\n\n'
            "    @Override\n    protected void do«method_cap»(HttpServletRequest request, HttpServletResponse response)\n"
            "            throws ServletException, IOException {\n        try {\n            «dispatch»\n"
            "        } catch (Exception e) {\n            throw new ServletException(e);\n        }\n    }\n}",
    dispatch_line='if ("«route»".equals(request.getPathInfo())) {\n    «fn»(request, response);\n}',
)

PLAIN = Framework(
    name="plain",
    sources=(
        Source(param="String «v»"), Source(param="final String «v»"), Source(expr='System.getenv("«CONST»")'),
        Source(expr='System.getProperty("«key»", "")'),
        Source(stmt="Scanner «id» = new Scanner(System.in);\nString «v» = «id».nextLine();"),
        Source(stmt="BufferedReader «id» = new BufferedReader(new InputStreamReader(System.in));\nString «v» = «id».readLine();"),
    ),
    handler="public void «fn»(«params») throws Exception {\n    «body»\n}",
    responses=('System.out.println("«msg»");', '«log».info("«msg»");', 'System.out.printf("%d«word»%n", «num»);'),
    bail='throw new IllegalArgumentException("«msg»");',
    wrapper="public class «main_cls» {\n\n    «members»\n}",
)

JAXRS = Framework(
    name="jaxrs",
    held=True,
    imports=("jakarta.ws.rs.*", "jakarta.ws.rs.core.MediaType", "jakarta.ws.rs.core.Response"),
    sources=(
        Source(param='@QueryParam("«key»") String «v»'), Source(param='@PathParam("«v»") String «v»', route="/{«v»}"),
        Source(param='@HeaderParam("«hdr»") String «v»'), Source(param='@FormParam("«key»") String «v»'),
    ),
    handler='@«method»\n@Path("«route»")\n@Produces(MediaType.TEXT_PLAIN)\npublic String «fn»(«params») throws Exception {\n    «body»\n}',
    responses=('return "«msg»";', 'return "ok";'),
    bail="throw new WebApplicationException(Response.Status.BAD_REQUEST);",
    wrapper='@Path("/«word»")\npublic class «main_cls» {\n\n    «members»\n}',
)

SQL_SAN = [
    San("String «out» = String.valueOf(Integer.parseInt(«in»));"),
    San('if (!«in».matches("[A-Za-z0-9_]+")) {\n    «bail»\n}', guard=True),
    San("String «out» = Long.toString(Long.parseLong(«in».trim()));", held=True),
]
HTML_SAN = [San("String «out» = Encode.forHtml(«in»);"), San("String «out» = HtmlUtils.htmlEscape(«in»);"),
            San("String «out» = StringEscapeUtils.escapeHtml4(«in»);", held=True)]

SPECS = [
    spec("CWE-89", [
        V('Statement «id» = «ds».getConnection().createStatement();\nResultSet «id2» = ⟦«id».executeQuery("SELECT * FROM «tbl» WHERE «col» = \'" + «v» + "\'")⟧;'),
        V('List<Map<String, Object>> «id» = ⟦«jdbc».queryForList("SELECT «col», «col2» FROM «tbl» WHERE «col3» = \'" + «v» + "\'")⟧;'),
        V('String «id» = "DELETE FROM «tbl» WHERE «col» = " + «v»;\n⟦«jdbc».update(«id»)⟧;'),
        V('List<?> «id» = ⟦«em».createQuery("SELECT o FROM «Cls» o WHERE o.«col» = \'" + «v» + "\'")⟧.getResultList();'),
        V('try (Connection «id» = «ds».getConnection()) {\n    PreparedStatement «id2» = ⟦«id».prepareStatement("SELECT * FROM «tbl» WHERE «col» LIKE \'%" + «v» + "%\'")⟧;\n    ResultSet «id3» = «id2».executeQuery();\n}'),
        V('String «id» = String.format("UPDATE «tbl» SET «col» = 0 WHERE «col2» = \'%s\'", «v»);\n⟦«ds».getConnection().createStatement().executeUpdate(«id»)⟧;', held=True),
        V('List<Map<String, Object>> «id» = ⟦«jdbc».queryForList(\n        "SELECT * FROM «tbl» ORDER BY " + «v»)⟧;', held=True),
        S('try (Connection «id» = «ds».getConnection()) {\n    PreparedStatement «id2» = «id».prepareStatement("SELECT * FROM «tbl» WHERE «col» = ?");\n    «id2».setString(1, «v»);\n    ResultSet «id3» = «id2».executeQuery();\n}'),
        S('List<Map<String, Object>> «id» = «jdbc».queryForList("SELECT «col», «col2» FROM «tbl» WHERE «col3» = ?", «v»);'),
        S('«jdbc».update("DELETE FROM «tbl» WHERE «col» = ?", «v»);'),
        S('List<?> «id» = «em».createQuery("SELECT o FROM «Cls» o WHERE o.«col» = :«col»")\n        .setParameter("«col»", «v»)\n        .getResultList();'),
        S('Statement «id» = «ds».getConnection().createStatement();\nResultSet «id2» = «id».executeQuery("SELECT COUNT(*) FROM «tbl»");'),
        S('String «id» = Set.of("«col»", "«col2»").contains(«v») ? «v» : "«col»";\nList<Map<String, Object>> «id2» = «jdbc».queryForList("SELECT * FROM «tbl» ORDER BY " + «id»);',
          held=True),
    ], SQL_SAN, weight=1.6),
    spec("CWE-78", [
        V('Process «id» = ⟦Runtime.getRuntime().exec("«cmd» " + «v»)⟧;'),
        V('Process «id» = ⟦new ProcessBuilder("sh", "-c", "«cmd» " + «v»).start()⟧;'),
        V('String[] «id» = {"/bin/bash", "-c", "«cmd» " + «v»};\n⟦Runtime.getRuntime().exec(«id»)⟧;'),
        V('ProcessBuilder «id» = ⟦new ProcessBuilder("cmd.exe", "/c", "«prog» " + «v»)⟧;\n«id».start();', held=True),
        S('Process «id» = new ProcessBuilder("«prog»", «v»).start();'),
        S('Process «id» = Runtime.getRuntime().exec(new String[] {"«prog»", «v»});'),
        S('Process «id» = Runtime.getRuntime().exec("«cmd» «dir»");'),
        S('ProcessBuilder «id» = new ProcessBuilder(List.of("«prog»", "--", «v»));\n«id».redirectErrorStream(true);\n«id».start();', held=True),
    ], [San('if (!«in».matches("[\\\\w.-]+")) {\n    «bail»\n}', guard=True)], weight=1.4),
    spec("CWE-79", [
        V('⟦response.getWriter().println("<h1>«word» " + «v» + "</h1>")⟧;', frameworks=("servlet",)),
        V('PrintWriter «id» = response.getWriter();\n⟦«id».print("<div>" + «v» + "</div>")⟧;', frameworks=("servlet",)),
        V('return ⟦"<p>«msg»: " + «v» + "</p>"⟧;', frameworks=("spring",), terminal=True),
        V('return ⟦String.format("<span>%s</span>", «v»)⟧;', frameworks=("spring", "jaxrs"), terminal=True, held=True),
        S('response.getWriter().println("<h1>«word» " + Encode.forHtml(«v») + "</h1>");', frameworks=("servlet",)),
        S('response.setContentType("text/plain");\nresponse.getWriter().print(«v»);', frameworks=("servlet",)),
        S('return "<p>«msg»: " + HtmlUtils.htmlEscape(«v») + "</p>";', frameworks=("spring",), terminal=True),
        S('return String.format("<span>%s</span>", StringEscapeUtils.escapeHtml4(«v»));', frameworks=("spring", "jaxrs"),
          terminal=True, held=True),
    ], HTML_SAN, weight=1.3),
    spec("CWE-22", [
        V('byte[] «id» = ⟦Files.readAllBytes(Paths.get(«BASE», «v»))⟧;'),
        V('File «id» = ⟦new File(«BASE» + "/" + «v»)⟧;\nFileInputStream «id2» = new FileInputStream(«id»);'),
        V('⟦Files.delete(Path.of(«BASE»).resolve(«v»))⟧;'),
        V('String «id» = ⟦Files.readString(Path.of(«BASE», «v»))⟧;'),
        V('try (FileInputStream «id» = ⟦new FileInputStream(new File(«BASE», «v»))⟧) {\n    «id».transferTo(System.out);\n}', held=True),
        S('byte[] «id» = Files.readAllBytes(Paths.get(«BASE», Paths.get(«v»).getFileName().toString()));'),
        S('Path «id» = Path.of(«BASE»).resolve(«v»).normalize();\nif (!«id».startsWith(Path.of(«BASE»))) {\n    «bail»\n}\nString «id2» = Files.readString(«id»);'),
        S('String «id» = Files.readString(Path.of(«BASE», "«file»"));'),
        S('File «id» = new File(«BASE», FilenameUtils.getName(«v»));', held=True),
    ], [San("String «out» = FilenameUtils.getName(«in»);"),
        San("String «out» = Paths.get(«in»).getFileName().toString();"),
        San('if («in».contains("..")) {\n    «bail»\n}', guard=True, held=True)], weight=1.3),
    spec("CWE-502", [
        V('ObjectInputStream «id» = new ObjectInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(«v»)));\nObject «id2» = ⟦«id».readObject()⟧;'),
        V('Object «id» = ⟦new XStream().fromXML(«v»)⟧;'),
        V('Object «id» = ⟦new Yaml().load(«v»)⟧;'),
        V('XMLDecoder «id» = new XMLDecoder(new ByteArrayInputStream(«v».getBytes()));\nObject «id2» = ⟦«id».readObject()⟧;', held=True),
        S('Map<?, ?> «id» = new ObjectMapper().readValue(«v», Map.class);'),
        S('Object «id» = new Yaml(new SafeConstructor(new LoaderOptions())).load(«v»);'),
        S('ObjectInputStream «id» = new ObjectInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(«v»)));\n'
          '«id».setObjectInputFilter(ObjectInputFilter.Config.createFilter("com.«word».*;!*"));\nObject «id2» = «id».readObject();'),
        S('String «id» = Base64.getEncoder().encodeToString(«v».getBytes(StandardCharsets.UTF_8));', held=True),
    ], weight=1.2),
    spec("CWE-798", [
        V('⟦private static final String «SEC» = "«secret»";⟧', kind="module"),
        V('Connection «id» = DriverManager.getConnection("jdbc:mysql://«host»:3306/«word»", "«word2»", ⟦"«pw»"⟧);', kind="plain"),
        V('HikariDataSource «id» = new HikariDataSource();\n«id».setJdbcUrl("jdbc:postgresql://«host»/«word»");\n'
          '«id».setUsername("«word2»");\n⟦«id».setPassword("«pw»")⟧;', kind="plain"),
        V('HttpRequest «id» = HttpRequest.newBuilder(URI.create("«url»"))\n        ⟦.header("Authorization", "Bearer «secret»")⟧\n        .build();', kind="plain"),
        V('⟦String «sec» = "«pw»";⟧\nboolean «id» = «v».equals(«sec»);', kind="plain", held=True),
        S('private static final String «SEC» = System.getenv("«SEC»");', kind="module"),
        S('Connection «id» = DriverManager.getConnection("jdbc:mysql://«host»:3306/«word»", "«word2»", System.getenv("«SEC»"));', kind="plain"),
        S('@Value("${«word».password}")\nprivate String «sec»;', kind="module"),
        S('private static final String «CONST» = "«word»";', kind="module"),
        S('HttpRequest «id» = HttpRequest.newBuilder(URI.create("«url»"))\n        .header("Authorization", "Bearer " + System.getenv("«SEC»"))\n        .build();', kind="plain"),
        S('String «sec» = new String(System.console().readPassword("«msg»: "));', kind="plain", held=True),
    ], weight=1.2),
    spec("CWE-327", [
        V('Cipher «id» = ⟦Cipher.getInstance("DES/ECB/PKCS5Padding")⟧;', kind="plain"),
        V('Cipher «id» = ⟦Cipher.getInstance("AES/ECB/PKCS5Padding")⟧;\n«id».init(Cipher.ENCRYPT_MODE, new SecretKeySpec(«KEY», "AES"));', kind="plain"),
        V('Cipher «id» = ⟦Cipher.getInstance("AES")⟧;', kind="plain"),
        V('Cipher «id» = ⟦Cipher.getInstance("RC4")⟧;', kind="plain"),
        V('Cipher «id» = ⟦Cipher.getInstance("DESede/CBC/PKCS5Padding")⟧;', kind="plain", held=True),
        S('Cipher «id» = Cipher.getInstance("AES/GCM/NoPadding");\n«id».init(Cipher.ENCRYPT_MODE, new SecretKeySpec(«KEY», "AES"), new GCMParameterSpec(128, «iv»));', kind="plain"),
        S('Cipher «id» = Cipher.getInstance("ChaCha20-Poly1305");', kind="plain"),
        S('Cipher «id» = Cipher.getInstance("AES/GCM/NoPadding");', kind="plain", held=True),
    ], weight=1.0),
    spec("CWE-328", [
        V('MessageDigest «id» = ⟦MessageDigest.getInstance("MD5")⟧;\nbyte[] «id2» = «id».digest(«v».getBytes(StandardCharsets.UTF_8));', kind="plain"),
        V('byte[] «id» = ⟦MessageDigest.getInstance("SHA-1")⟧.digest(«v».getBytes());', kind="plain"),
        V('String «id» = ⟦DigestUtils.md5Hex(«v»)⟧;', kind="plain"),
        V('String «id» = ⟦DigestUtils.sha1Hex(«v»)⟧;', kind="plain", held=True),
        S('MessageDigest «id» = MessageDigest.getInstance("SHA-256");\nbyte[] «id2» = «id».digest(«v».getBytes(StandardCharsets.UTF_8));', kind="plain"),
        S('String «id» = BCrypt.hashpw(«v», BCrypt.gensalt(12));', kind="plain"),
        S('String «id» = new BCryptPasswordEncoder().encode(«v»);', kind="plain"),
        S('byte[] «id» = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")\n        .generateSecret(new PBEKeySpec(«v».toCharArray(), «salt», 310000, 256)).getEncoded();',
          kind="plain", held=True),
    ], weight=1.0),
    spec("CWE-338", [
        V('int «sec» = ⟦new Random().nextInt(900000)⟧ + 100000;', kind="plain"),
        V('String «sec» = Long.toHexString(⟦new Random().nextLong()⟧);', kind="plain"),
        V('String «sec» = String.valueOf(⟦Math.random()⟧).substring(2);', kind="plain"),
        V('String «sec» = ⟦RandomStringUtils.randomAlphanumeric(«num»)⟧;', kind="plain", held=True),
        S('int «sec» = new SecureRandom().nextInt(900000) + 100000;', kind="plain"),
        S('String «sec» = UUID.randomUUID().toString();', kind="plain"),
        S('byte[] «id» = new byte[32];\nnew SecureRandom().nextBytes(«id»);\nString «sec» = Base64.getUrlEncoder().encodeToString(«id»);', kind="plain"),
        S('int «id» = new Random().nextInt(«num»);', kind="plain"),
        S('String «sec» = RandomStringUtils.secure().nextAlphanumeric(«num»);', kind="plain", held=True),
    ], weight=0.9),
    spec("CWE-295", [
        V("⟦HttpsURLConnection.setDefaultHostnameVerifier((hostname, session) -> true)⟧;", kind="plain"),
        V("CloseableHttpClient «id» = HttpClients.custom()\n        ⟦.setSSLHostnameVerifier(NoopHostnameVerifier.INSTANCE)⟧\n        .build();", kind="plain"),
        V("TrustManager[] «id» = new TrustManager[] {\n    new X509TrustManager() {\n"
          "        public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }\n"
          "        public void checkClientTrusted(X509Certificate[] certs, String authType) { }\n"
          "        ⟦public void checkServerTrusted(X509Certificate[] certs, String authType) { }⟧\n    }\n};\n"
          'SSLContext «id2» = SSLContext.getInstance("TLS");\n«id2».init(null, «id», new SecureRandom());', kind="plain"),
        V('HttpsURLConnection «id» = (HttpsURLConnection) new URL("«url»").openConnection();\n'
          "⟦«id».setHostnameVerifier((h, s) -> true)⟧;", kind="plain", held=True),
        S("CloseableHttpClient «id» = HttpClients.createDefault();", kind="plain"),
        S('SSLContext «id» = SSLContext.getInstance("TLSv1.3");\n«id».init(null, null, new SecureRandom());', kind="plain"),
        S("HttpClient «id» = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(«num»)).build();", kind="plain"),
        S("CloseableHttpClient «id» = HttpClients.custom()\n        .setSSLHostnameVerifier(new DefaultHostnameVerifier())\n        .build();", kind="plain", held=True),
    ], weight=0.8),
    spec("CWE-611", [
        V("DocumentBuilder «id» = DocumentBuilderFactory.newInstance().newDocumentBuilder();\n"
          "org.w3c.dom.Document «id2» = ⟦«id».parse(new InputSource(new StringReader(«v»)))⟧;"),
        V("SAXParserFactory «id» = SAXParserFactory.newInstance();\n⟦«id».newSAXParser().parse(new InputSource(new StringReader(«v»)), new DefaultHandler())⟧;"),
        V("XMLInputFactory «id» = XMLInputFactory.newInstance();\n⟦«id».setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, true)⟧;\n"
          "XMLStreamReader «id2» = «id».createXMLStreamReader(new StringReader(«v»));", held=True),
        S('DocumentBuilderFactory «id» = DocumentBuilderFactory.newInstance();\n«id».setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);\n'
          "org.w3c.dom.Document «id2» = «id».newDocumentBuilder().parse(new InputSource(new StringReader(«v»)));"),
        S('SAXParserFactory «id» = SAXParserFactory.newInstance();\n«id».setFeature("http://xml.org/sax/features/external-general-entities", false);\n'
          "«id».newSAXParser().parse(new InputSource(new StringReader(«v»)), new DefaultHandler());"),
        S("XMLInputFactory «id» = XMLInputFactory.newInstance();\n«id».setProperty(XMLInputFactory.SUPPORT_DTD, false);\n"
          "XMLStreamReader «id2» = «id».createXMLStreamReader(new StringReader(«v»));", held=True),
    ], weight=0.8),
    spec("CWE-918", [
        V("InputStream «id» = ⟦new URL(«v»).openStream()⟧;"),
        V("String «id» = ⟦«rest».getForObject(«v», String.class)⟧;"),
        V("HttpResponse<String> «id» = ⟦HttpClient.newHttpClient().send(\n        HttpRequest.newBuilder(URI.create(«v»)).build(), HttpResponse.BodyHandlers.ofString())⟧;"),
        V('String «id» = ⟦«rest».getForObject("http://" + «v» + "/«word»", String.class)⟧;', held=True, sanitizable=False),
        S('String «id» = «rest».getForObject("«url»?«key»={«key»}", String.class, «v»);'),
        S('InputStream «id» = new URL("«url»").openStream();'),
        S('URI «id» = URI.create(«v»);\nif (!Set.of("«host»", "«host2»").contains(«id».getHost())) {\n    «bail»\n}\nString «id2» = «rest».getForObject(«id», String.class);',
          held=True),
    ], [San('if (!URI.create(«in»).getHost().endsWith(".«host»")) {\n    «bail»\n}', guard=True)]),
    spec("CWE-601", [
        V("⟦response.sendRedirect(«v»)⟧;", frameworks=("servlet",)),
        V('return ⟦"redirect:" + «v»⟧;', frameworks=("spring",), terminal=True),
        V('response.setStatus(302);\n⟦response.setHeader("Location", «v»)⟧;', frameworks=("servlet",), held=True),
        S('response.sendRedirect(request.getContextPath() + "/«word»");', frameworks=("servlet",)),
        S('return "redirect:/«word»";', frameworks=("spring",), terminal=True),
        S('response.sendRedirect("/«word»?«key»=" + URLEncoder.encode(«v», StandardCharsets.UTF_8));', frameworks=("servlet",), held=True),
    ], [San('if (!«in».startsWith("/") || «in».startsWith("//")) {\n    «bail»\n}', guard=True)]),
    spec("CWE-90", [
        V('NamingEnumeration<SearchResult> «id» = ⟦«ldapctx».search("ou=«word»,dc=«word2»,dc=com", "(uid=" + «v» + ")", new SearchControls())⟧;'),
        V('String «id» = "(&(objectClass=person)(cn=" + «v» + "))";\nNamingEnumeration<SearchResult> «id2» = ⟦«ldapctx».search("dc=«word»,dc=com", «id», new SearchControls())⟧;'),
        S('NamingEnumeration<SearchResult> «id» = «ldapctx».search("ou=«word»,dc=«word2»,dc=com", "(uid={0})", new Object[] {«v»}, new SearchControls());'),
        S('NamingEnumeration<SearchResult> «id» = «ldapctx».search("dc=«word»,dc=com", "(objectClass=person)", new SearchControls());'),
    ], weight=0.5),
    spec("CWE-643", [
        V('XPath «id» = XPathFactory.newInstance().newXPath();\nString «id2» = ⟦«id».evaluate("//«word»[@name=\'" + «v» + "\']", «xdoc»)⟧;'),
        V('NodeList «id» = (NodeList) ⟦XPathFactory.newInstance().newXPath()\n        .evaluate("//«word»[«key»=\'" + «v» + "\']", «xdoc», XPathConstants.NODESET)⟧;', held=True),
        S('XPath «id» = XPathFactory.newInstance().newXPath();\n«id».setXPathVariableResolver(q -> «v»);\nString «id2» = «id».evaluate("//«word»[@name=$name]", «xdoc»);'),
        S('String «id» = XPathFactory.newInstance().newXPath().evaluate("count(//«word»)", «xdoc»);'),
    ], [San('if (!«in».matches("[A-Za-z0-9 _-]{1,64}")) {\n    «bail»\n}', guard=True)], weight=0.5),
    spec("CWE-117", [
        V('⟦«log».info("«msg»: " + «v»)⟧;'),
        V('⟦«log».warn("«msg» {}", «v»)⟧;'),
        V('⟦System.err.println("«msg» " + «v»)⟧;', held=True),
        S('«log».info("«msg»: {}", «v».replaceAll("[\\r\\n]", "_"));'),
        S('«log».warn("«msg» ({} chars)", «v».length());'),
        S('«log».info("«msg»: {}", Encode.forJava(«v»));', held=True),
    ], [San('String «out» = «in».replaceAll("[\\r\\n]", "");')], weight=0.5),
    spec("CWE-532", [
        V('⟦«log».info("login " + «v» + " password=" + «sec»)⟧;', kind="plain"),
        V('⟦«log».debug("token {}", «sec»)⟧;', kind="plain"),
        V('⟦System.out.println("api key: " + System.getenv("«SEC»"))⟧;', kind="plain", held=True),
        S('«log».info("login attempt for {}", «v»);', kind="plain"),
        S('«log».debug("token {}****", «sec».substring(0, 4));', kind="plain"),
        S('«log».info("credentials present: {}", System.getenv("«SEC»") != null);', kind="plain", held=True),
    ], weight=0.5),
    spec("CWE-209", [
        V("try {\n    int «id» = Integer.parseInt(«v»);\n} catch (Exception e) {\n    ⟦e.printStackTrace(response.getWriter())⟧;\n}",
          frameworks=("servlet",)),
        V("try {\n    int «id» = Integer.parseInt(«v»);\n} catch (Exception e) {\n    return ⟦ExceptionUtils.getStackTrace(e)⟧;\n}",
          frameworks=("spring", "jaxrs")),
        V('try {\n    int «id» = Integer.parseInt(«v»);\n} catch (Exception e) {\n    ⟦response.getWriter().println("Error: " + e)⟧;\n}',
          frameworks=("servlet",), held=True),
        S('try {\n    int «id» = Integer.parseInt(«v»);\n} catch (Exception e) {\n    «log».error("«msg»", e);\n    response.sendError(500, "internal error");\n}',
          frameworks=("servlet",)),
        S('try {\n    int «id» = Integer.parseInt(«v»);\n} catch (Exception e) {\n    «log».error("«msg»", e);\n    return "error";\n}',
          frameworks=("spring", "jaxrs")),
    ], weight=0.5),
    spec("CWE-614", [
        V('Cookie «id» = new Cookie("session", «v»);\n⟦response.addCookie(«id»)⟧;', kind="plain", frameworks=("servlet",)),
        V('Cookie «id» = new Cookie("«key»", «v»);\n«id».setHttpOnly(true);\n⟦response.addCookie(«id»)⟧;', kind="plain",
          frameworks=("servlet",)),
        S('Cookie «id» = new Cookie("session", «v»);\n«id».setSecure(true);\n«id».setHttpOnly(true);\nresponse.addCookie(«id»);',
          kind="plain", frameworks=("servlet",)),
        S('response.setHeader("Set-Cookie", "«key»=" + «v» + "; Secure; HttpOnly; SameSite=Strict");', kind="plain",
          frameworks=("servlet",), held=True),
    ], weight=0.5),
    spec("CWE-352", [
        V("@Bean\npublic SecurityFilterChain «fn»(HttpSecurity http) throws Exception {\n    ⟦http.csrf(csrf -> csrf.disable())⟧;\n"
          "    return http.build();\n}", kind="module", frameworks=("spring",)),
        V("@Bean\npublic SecurityFilterChain «fn»(HttpSecurity http) throws Exception {\n    ⟦http.csrf().disable()⟧\n"
          "        .authorizeHttpRequests(a -> a.anyRequest().authenticated());\n    return http.build();\n}", kind="module",
          frameworks=("spring",), held=True),
        S("@Bean\npublic SecurityFilterChain «fn»(HttpSecurity http) throws Exception {\n    http.csrf(Customizer.withDefaults());\n"
          "    return http.build();\n}", kind="module", frameworks=("spring",)),
    ], weight=0.3),
    spec("CWE-1333", [
        V("Pattern «id» = ⟦Pattern.compile(«v»)⟧;\nboolean «id2» = «id».matcher(«id3»).find();"),
        V('boolean «id» = ⟦Pattern.matches("^(\\\\w+\\\\s?)*$", «v»)⟧;', sanitizable=False),
        V('boolean «id» = ⟦«v».matches("([a-z0-9]+)*@«word»\\\\.com")⟧;', sanitizable=False, held=True),
        S("Pattern «id» = Pattern.compile(Pattern.quote(«v»));"),
        S('boolean «id» = Pattern.matches("^\\\\w+$", «v»);'),
        S("boolean «id» = «id2».contains(«v»);", held=True),
    ], [San("String «out» = Pattern.quote(«in»);")], weight=0.5),
    spec("CWE-943", [
        V('org.bson.Document «id» = ⟦«mongo».find(new org.bson.Document("$where", "this.«key» == \'" + «v» + "\'"))⟧.first();'),
        V("org.bson.Document «id» = ⟦«mongo».find(org.bson.Document.parse(«v»))⟧.first();", held=True),
        S('org.bson.Document «id» = «mongo».find(Filters.eq("«key»", «v»)).first();'),
        S('org.bson.Document «id» = «mongo».find(new org.bson.Document("«key»", «v»)).first();', held=True),
    ], weight=0.4),
    spec("CWE-434", [
        V('⟦«id».transferTo(new File(«BASE» + «id».getOriginalFilename()))⟧;', kind="plain", frameworks=("spring",),
          params=('@RequestParam("«key»") MultipartFile «id»',)),
        V('Path «id2» = Paths.get(«BASE», «id».getOriginalFilename());\n⟦Files.copy(«id».getInputStream(), «id2», StandardCopyOption.REPLACE_EXISTING)⟧;',
          kind="plain", frameworks=("spring",), params=('@RequestParam("«key»") MultipartFile «id»',), held=True),
        S('if (!"image/png".equals(«id».getContentType())) {\n    «bail»\n}\n«id».transferTo(new File(«BASE», UUID.randomUUID() + ".png"));',
          kind="plain", frameworks=("spring",), params=('@RequestParam("«key»") MultipartFile «id»',)),
    ], weight=0.4),
]

MODULE_FILLERS = fillers(L, "module", [
    "private static int «fn»(List<Integer> «id») {\n    int «id2» = 0;\n    for (int «id3» : «id») {\n        «id2» += «id3»;\n    }\n    return «id2»;\n}",
    'private static final Map<String, Integer> «CONST» = Map.of("«key»", «num», "«key2»", «num2»);',
    "/**\n * «doc»\n */\nprivate String «fn»(String «id», int «id2») {\n    if («id» == null || «id».isEmpty()) {\n        return \"\";\n    }\n"
    "    return «id».length() > «id2» ? «id».substring(0, «id2») : «id»;\n}",
    "public record «Cls»(String «id», int «id2») {\n    public «Cls» {\n        Objects.requireNonNull(«id»);\n    }\n}",
    "private static List<String> «fn»(List<String> «id») {\n    return «id».stream()\n            .filter(s -> !s.isBlank())\n"
    "            .map(String::trim)\n            .collect(Collectors.toList());\n}",
    "private final Map<String, String> «id» = new HashMap<>();\n\npublic String «fn»(String «id2») {\n"
    "    return «id».computeIfAbsent(«id2», k -> k.toLowerCase());\n}",
    "public enum «Cls» {\n    «CONST»,\n    «CONST2»,\n    «CONST3»\n}",
    "private static final int «CONST» = «num»;\nprivate static final String «CONST2» = \"«word»\";",
    "public static String «fn»(Instant «id») {\n    return LocalDate.ofInstant(«id», ZoneOffset.UTC).toString();\n}",
    ("private static <T> Optional<T> «fn»(List<T> «id», int «id2») {\n    return «id2» >= 0 && «id2» < «id».size() ? Optional.of(«id».get(«id2»)) : Optional.empty();\n}",
     {"held": True}),
    ("static final class «Cls» {\n    private int «id»;\n\n    void «fn»() {\n        «id»++;\n    }\n\n    int get() {\n        return «id»;\n    }\n}",
     {"held": True}),
    "private static String «fn»(Map<String, String> «id») {\n    return «id».entrySet().stream()\n"
    "            .map(e -> e.getKey() + \"=\" + e.getValue())\n            .collect(Collectors.joining(\"&\"));\n}",
    "private int «fn»(String «id») {\n    switch («id») {\n        case \"«word»\":\n            return 1;\n        case \"«word2»\":\n"
    "            return 2;\n        default:\n            return 0;\n    }\n}",
    "private static boolean «fn»(String «id») {\n    return «id» != null && !«id».isBlank() && «id».length() <= «num»;\n}",
    "public static double «fn»(List<Double> «id») {\n    return «id».stream().mapToDouble(Double::doubleValue).average().orElse(0.0);\n}",
    "public interface «Cls» {\n    String «fn»(String «id»);\n}",
    "private final AtomicInteger «id» = new AtomicInteger();\n\npublic int «fn»() {\n    return «id».incrementAndGet();\n}",
    ("private static String «fn»() throws IOException {\n    try (InputStream «id» = «main_cls».class.getResourceAsStream(\"/«word».properties\")) {\n"
     "        Properties «id2» = new Properties();\n        «id2».load(«id»);\n        return «id2».getProperty(\"«key»\", \"«word2»\");\n    }\n}",
     {"held": True}),
])
STMT_FILLERS = fillers(L, "stmt", [
    '«log».debug("«msg»");', "long «id» = System.currentTimeMillis();", "List<String> «id» = new ArrayList<>();",
    "// «doc»", "int «id» = «num» * «num2»;", 'Map<String, Object> «id» = new HashMap<>();',
    ("// TODO: «msg»", {"held": True}),
])

_TYPES = {
    "Statement": "java.sql.Statement", "Connection": "java.sql.Connection", "ResultSet": "java.sql.ResultSet",
    "PreparedStatement": "java.sql.PreparedStatement", "DriverManager": "java.sql.DriverManager",
    "DataSource": "javax.sql.DataSource", "JdbcTemplate": "org.springframework.jdbc.core.JdbcTemplate",
    "EntityManager": "jakarta.persistence.EntityManager", "@PersistenceContext": "jakarta.persistence.PersistenceContext",
    "List": "java.util.List", "Map": "java.util.Map", "HashMap": "java.util.HashMap", "ArrayList": "java.util.ArrayList",
    "Set": "java.util.Set", "Base64": "java.util.Base64", "Random": "java.util.Random", "SecureRandom": "java.security.SecureRandom",
    "UUID": "java.util.UUID", "Objects": "java.util.Objects", "Optional": "java.util.Optional",
    "Collectors": "java.util.stream.Collectors", "Scanner": "java.util.Scanner", "Files": "java.nio.file.Files",
    "Paths": "java.nio.file.Paths", "Path": "java.nio.file.Path", "StandardCopyOption": "java.nio.file.StandardCopyOption",
    "File": "java.io.File", "FileInputStream": "java.io.FileInputStream", "InputStream": "java.io.InputStream",
    "ObjectInputStream": "java.io.ObjectInputStream", "ObjectInputFilter": "java.io.ObjectInputFilter",
    "ByteArrayInputStream": "java.io.ByteArrayInputStream", "InputStreamReader": "java.io.InputStreamReader",
    "BufferedReader": "java.io.BufferedReader", "StringReader": "java.io.StringReader", "PrintWriter": "java.io.PrintWriter",
    "IOException": "java.io.IOException", "StandardCharsets": "java.nio.charset.StandardCharsets",
    "Cipher": "javax.crypto.Cipher", "SecretKeySpec": "javax.crypto.spec.SecretKeySpec",
    "GCMParameterSpec": "javax.crypto.spec.GCMParameterSpec", "SecretKeyFactory": "javax.crypto.SecretKeyFactory",
    "PBEKeySpec": "javax.crypto.spec.PBEKeySpec", "MessageDigest": "java.security.MessageDigest",
    "Pattern": "java.util.regex.Pattern", "URL": "java.net.URL", "URI": "java.net.URI", "URLEncoder": "java.net.URLEncoder",
    "HttpClient": "java.net.http.HttpClient", "HttpRequest": "java.net.http.HttpRequest",
    "HttpResponse": "java.net.http.HttpResponse", "Duration": "java.time.Duration", "Instant": "java.time.Instant",
    "LocalDate": "java.time.LocalDate", "ZoneOffset": "java.time.ZoneOffset", "Logger": "org.slf4j.Logger",
    "LoggerFactory": "org.slf4j.LoggerFactory", "Cookie": "jakarta.servlet.http.Cookie",
    "ServletException": "jakarta.servlet.ServletException", "DocumentBuilderFactory": "javax.xml.parsers.DocumentBuilderFactory",
    "DocumentBuilder": "javax.xml.parsers.DocumentBuilder", "SAXParserFactory": "javax.xml.parsers.SAXParserFactory",
    "DefaultHandler": "org.xml.sax.helpers.DefaultHandler", "InputSource": "org.xml.sax.InputSource",
    "XMLInputFactory": "javax.xml.stream.XMLInputFactory", "XMLStreamReader": "javax.xml.stream.XMLStreamReader",
    "XPathFactory": "javax.xml.xpath.XPathFactory", "XPath": "javax.xml.xpath.XPath",
    "XPathConstants": "javax.xml.xpath.XPathConstants", "NodeList": "org.w3c.dom.NodeList",
    "Encode": "org.owasp.encoder.Encode", "HtmlUtils": "org.springframework.web.util.HtmlUtils",
    "StringEscapeUtils": "org.apache.commons.text.StringEscapeUtils", "FilenameUtils": "org.apache.commons.io.FilenameUtils",
    "ObjectMapper": "com.fasterxml.jackson.databind.ObjectMapper", "XStream": "com.thoughtworks.xstream.XStream",
    "Yaml": "org.yaml.snakeyaml.Yaml", "SafeConstructor": "org.yaml.snakeyaml.constructor.SafeConstructor",
    "LoaderOptions": "org.yaml.snakeyaml.LoaderOptions", "XMLDecoder": "java.beans.XMLDecoder",
    "BCrypt": "org.mindrot.jbcrypt.BCrypt",
    "BCryptPasswordEncoder": "org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder",
    "DigestUtils": "org.apache.commons.codec.digest.DigestUtils", "HttpsURLConnection": "javax.net.ssl.HttpsURLConnection",
    "TrustManager": "javax.net.ssl.TrustManager", "X509TrustManager": "javax.net.ssl.X509TrustManager",
    "X509Certificate": "java.security.cert.X509Certificate", "SSLContext": "javax.net.ssl.SSLContext",
    "NoopHostnameVerifier": "org.apache.http.conn.ssl.NoopHostnameVerifier",
    "DefaultHostnameVerifier": "org.apache.http.conn.ssl.DefaultHostnameVerifier",
    "HttpClients": "org.apache.http.impl.client.HttpClients",
    "CloseableHttpClient": "org.apache.http.impl.client.CloseableHttpClient",
    "RestTemplate": "org.springframework.web.client.RestTemplate", "DirContext": "javax.naming.directory.DirContext",
    "SearchControls": "javax.naming.directory.SearchControls", "SearchResult": "javax.naming.directory.SearchResult",
    "NamingEnumeration": "javax.naming.NamingEnumeration", "ExceptionUtils": "org.apache.commons.lang3.exception.ExceptionUtils",
    "Filters": "com.mongodb.client.model.Filters", "MongoCollection": "com.mongodb.client.MongoCollection",
    "MultipartFile": "org.springframework.web.multipart.MultipartFile",
    "ResponseStatusException": "org.springframework.web.server.ResponseStatusException",
    "HttpStatus": "org.springframework.http.HttpStatus", "RandomStringUtils": "org.apache.commons.lang3.RandomStringUtils",
    "Customizer": "org.springframework.security.config.Customizer",
    "HttpSecurity": "org.springframework.security.config.annotation.web.builders.HttpSecurity",
    "SecurityFilterChain": "org.springframework.security.web.SecurityFilterChain",
    "@Bean": "org.springframework.context.annotation.Bean", "@Value": "org.springframework.beans.factory.annotation.Value",
    "@Autowired": "org.springframework.beans.factory.annotation.Autowired",
    "HikariDataSource": "com.zaxxer.hikari.HikariDataSource",
    "AtomicInteger": "java.util.concurrent.atomic.AtomicInteger", "Properties": "java.util.Properties",
}


_TYPE_NAME = re.compile(r"(?<![\w.@])[A-Z]\w*")


_SUFFIX = {"spring": "Controller", "servlet": "Servlet", "jaxrs": "Resource", "plain": ""}


class JavaKit(Kit):
    name = L
    ext = ".java"
    style = NameStyle(var="camel", func="camel")
    indents = (("    ", 0.85), ("  ", 0.15))
    frameworks = (SPRING, SERVLET, PLAIN, JAXRS)
    specs = tuple(SPECS)
    fillers = MODULE_FILLERS + STMT_FILLERS
    transforms = ("String «out» = «in».trim();", "String «out» = «in».toLowerCase();", "String «out» = String.valueOf(«in»);",
                  "String «out» = «in».strip();")
    neutral_uses = ("if («var».length() > «num») {\n    «bail»\n}", '«log».debug("«msg» {}", «var».length());',
                    "if («var».isEmpty()) {\n    «bail»\n}")
    helper_bail = 'throw new IllegalArgumentException("«msg»");'
    file_slots: ClassVar[dict[str, tuple[str, ...]]] = {
        "log": ("log", "logger", "LOG", "LOGGER"), "jdbc": ("jdbcTemplate", "jdbc"), "ds": ("dataSource", "ds"),
        "em": ("entityManager", "em"), "BASE": ("BASE_DIR", "UPLOAD_DIR", "STORAGE_ROOT"), "KEY": ("KEY", "SECRET_KEY"),
        "mongo": ("collection", "documents", "mongoCollection"), "ldapctx": ("ldapContext", "dirContext", "ctx"),
        "xdoc": ("document", "xmlDocument", "doc"), "rest": ("restTemplate", "rest", "http"), "salt": ("SALT",),
        "iv": ("iv", "nonce"),
    }
    slot_decls: ClassVar[dict[str, str]] = {
        "log": "private static final Logger «log» = LoggerFactory.getLogger(«main_cls».class);",
        "jdbc": "«autowired»private JdbcTemplate «jdbc»;",
        "ds": "«autowired»private DataSource «ds»;",
        "em": "@PersistenceContext\nprivate EntityManager «em»;",
        "BASE": 'private static final String «BASE» = "«dir»";',
        "KEY": 'private static final byte[] «KEY» = System.getenv("«CONST»").getBytes(StandardCharsets.UTF_8);',
        "mongo": "private MongoCollection<org.bson.Document> «mongo»;",
        "ldapctx": "private DirContext «ldapctx»;",
        "xdoc": "private org.w3c.dom.Document «xdoc»;",
        "rest": "private final RestTemplate «rest» = new RestTemplate();",
        "salt": "private static final byte[] «salt» = new byte[16];",
        "iv": "private final byte[] «iv» = new byte[12];",
    }

    def file_slot_makers(self, rng: random.Random):
        makers = super().file_slot_makers(rng)

        def main_cls(bag: Bag) -> str:
            suffix = _SUFFIX.get(bag["framework"], "")
            base = bag.namer.cls()
            for s in ("Controller", "Servlet", "Resource"):
                base = base.removesuffix(s)
            return base + suffix

        makers["main_cls"] = main_cls
        makers["autowired"] = lambda bag: "@Autowired\n" if bag["framework"] == "spring" and rng.random() < 0.7 else ""
        return makers

    def resolve_imports(self, parts: FileParts, body: str) -> None:
        """Import every known simple type name the code uses (one pass over the capitalised words)."""
        names = set(_TYPE_NAME.findall(body))
        for name, fq in _TYPES.items():
            if (name in body) if name.startswith("@") else (name in names):
                parts.add_import(fq)

    def assign(self, var: str, expr: str) -> str:
        return f"String {var} = {expr};"

    def call(self, fn: str, args: list[str], bag: Bag) -> str:
        return f"{fn}({', '.join(args)});"

    def helper(self, fn: str, params: list[str], body: str, bag: Bag) -> str:
        rng = bag.namer.rng
        doc = "/** «doc» */\n" if rng.random() < 0.3 else ""
        sig = ", ".join(f"String {p}" for p in params)
        return fill(f"{doc}private void {fn}({sig}) throws Exception {{\n    «body»\n}}", bag.child(body=body))

    def path(self, rng: random.Random, namer, framework: Framework, bag: Bag) -> str:
        return f"src/main/java/com/{bag['org']}/{bag['pkg']}/{bag['main_cls']}.java"

    def render(self, parts: FileParts, framework: Framework, bag: Bag, rng: random.Random) -> str:
        bag.values.setdefault("org", bag.namer.word())
        bag.values.setdefault("pkg", rng.choice(("web", "api", "service", "core", "app", bag.namer.word())))
        members = join_blocks([*(["\n".join(parts.decls)] if parts.decls else []), *parts.blocks], 1)
        dispatch = "\n".join(
            fill(framework.dispatch_line, bag.child(fn=fn, route=route)) for fn, route, _ in parts.handlers
        ) if framework.dispatch_line else ""
        method_cap = rng.choice(("Get", "Post"))
        cls = fill(framework.wrapper, bag.child(members=members, dispatch=dispatch or "// no routes", method_cap=method_cap))
        if rng.random() < 0.35:
            cls = fill("/**\n * «doc»\n */\n", bag.child()) + cls
        self.resolve_imports(parts, cls)
        own = {bag["main_cls"]}
        imports = sorted({i for i in parts.imports if i.rsplit(".", 1)[-1] not in own})
        head = fill("package com.«org».«pkg»;", bag)
        return head + "\n\n" + "\n".join(f"import {i};" for i in imports) + "\n\n" + cls + "\n"


KIT = JavaKit()
