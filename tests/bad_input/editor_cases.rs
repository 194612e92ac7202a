//! The editor's corpus: what a learner may paste or mistype, and what the
//! apply path must say about it (no cluster needed: `manifest::parse`).

/// What a case must produce.
pub enum Expect {
    /// An error saying this, at (line, column) — column None when the error
    /// is about a whole document.
    Error(&'static str, usize, Option<usize>),
    /// Nothing to apply.
    Empty,
    /// Parses into this many documents.
    Documents(usize),
}

pub struct Case {
    pub name: &'static str,
    pub text: String,
    pub expect: Expect,
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n";

fn case(name: &'static str, text: impl Into<String>, expect: Expect) -> Case {
    Case {
        name,
        text: text.into(),
        expect,
    }
}

fn billion_laughs() -> String {
    let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (prev, next) in "abcdefgh".chars().zip("bcdefghi".chars()) {
        let refs = vec![format!("*{prev}"); 9].join(", ");
        text.push_str(&format!("{next}: &{next} [{refs}]\n"));
    }
    text
}

pub fn cases() -> Vec<Case> {
    use Expect::*;
    let long_name = "a".repeat(300);
    vec![
        case("empty", "", Empty),
        case("only whitespace", "  \n\n   \n", Empty),
        case("only comments", "# a\n# b\n", Empty),
        case("only separators", "---\n---\n", Empty),
        case("comments and separators", "# a\n---\n# b\n---\n", Empty),
        case(
            "tab indentation",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: a\n",
            Error("spaces only", 4, Some(1)),
        ),
        case(
            "dedented key",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n namespace: b\n",
            Error(
                "lines it up with no key above it: indent it like the keys it belongs with (2 spaces, probably)",
                5,
                Some(2),
            ),
        ),
        case(
            "over-indented key",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n    labels: {}\n",
            Error(
                "`labels:` is indented 4 spaces, deeper than `name:` above it, which already has a value: line it up with that key (2 spaces)",
                5,
                Some(5),
            ),
        ),
        case(
            "no space after a colon",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n    - name: web\n      image:nginx:1.27\n",
            Error(
                "`image:nginx:1.27` needs a space after the first colon: `image: nginx:1.27`",
                8,
                Some(7),
            ),
        ),
        case(
            "a key without its colon",
            "apiVersion: v1\nkind: ConfigMap\nmetadata\n  name: a\n",
            Error("`metadata` needs a colon after it: `metadata:`", 3, Some(1)),
        ),
        case(
            "an indented document separator",
            format!("{CM}  ---\n{CM}"),
            Error(
                "`---` starts a new document only at the very start of a line",
                5,
                Some(3),
            ),
        ),
        case(
            "a key among list items",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n    - name: web\n    image: nginx\n",
            Error(
                "this line is at the indentation of the list's `- ` items but is not one: indent it 6 spaces to add it to the item above, or start it with `- `",
                8,
                Some(5),
            ),
        ),
        case(
            "text after a closing quote",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"demo\"x\n",
            Error("text follows the closing quote", 4, Some(15)),
        ),
        case(
            "a colon inside a value",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  say: hello: world\n",
            Error(
                "the value of `say` contains \": \", which YAML reads as another key: put the value in quotes",
                6,
                Some(3),
            ),
        ),
        case(
            "unclosed bracket",
            "apiVersion: v1\nkind: [ConfigMap\n",
            Error("unclosed bracket", 2, Some(7)),
        ),
        case(
            "unclosed quote",
            "apiVersion: v1\nkind: \"ConfigMap\nmetadata: {}\n",
            Error("unclosed quote", 2, Some(7)),
        ),
        case(
            "duplicate top-level key",
            "apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: a}\n",
            Error("the key `kind` appears twice", 3, Some(1)),
        ),
        case(
            "duplicate nested key",
            format!("{CM}  name: other\n"),
            Error("the key `name` appears twice", 5, Some(3)),
        ),
        case(
            "duplicate key in the second document",
            format!("{CM}---\n{CM}data:\n  a: x\n  a: y\n"),
            Error("the key `a` appears twice", 12, Some(3)),
        ),
        case(
            "a scalar document",
            "hello",
            Error("not a mapping", 1, None),
        ),
        case(
            "a sequence document",
            "- apiVersion: v1\n- kind: Pod\n",
            Error("not a mapping", 1, None),
        ),
        case(
            "missing apiVersion",
            "kind: ConfigMap\nmetadata: {name: a}\n",
            Error("apiVersion is missing", 1, None),
        ),
        case(
            "missing kind",
            "apiVersion: v1\nmetadata: {name: a}\n",
            Error("kind is missing", 1, None),
        ),
        case(
            "missing metadata",
            "apiVersion: v1\nkind: ConfigMap\n",
            Error("has no metadata", 1, None),
        ),
        case(
            "metadata not a mapping",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: demo\n",
            Error("has no metadata", 1, None),
        ),
        case(
            "missing name",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n",
            Error("has no metadata.name", 3, Some(1)),
        ),
        case(
            "empty name",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"\"\n",
            Error("has an empty metadata.name", 4, Some(3)),
        ),
        case(
            "a name: line with nothing after it, below a container's name",
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\nmetadata:\n  name:\n",
            Error(
                "has an empty metadata.name: write the name after `name:`",
                8,
                Some(3),
            ),
        ),
        case(
            "number as a name",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 123\n",
            Error("the name must be text, not 123", 4, Some(3)),
        ),
        case(
            "number as apiVersion",
            "apiVersion: 1\nkind: ConfigMap\nmetadata: {name: a}\n",
            Error("apiVersion must be text, not 1", 1, Some(1)),
        ),
        case(
            "a List",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n",
            Error("write each as its own document", 2, Some(1)),
        ),
        case(
            "a ConfigMapList",
            "apiVersion: v1\nkind: ConfigMapList\nitems: []\n",
            Error("kind ConfigMapList holds other objects", 2, Some(1)),
        ),
        case(
            "upper-case Pod name",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Pod-Demo\n",
            Error("Pod name \"Pod-Demo\" is not a valid name", 4, Some(3)),
        ),
        case(
            "underscore in a ServiceAccount name",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: demo_sa\n",
            Error("is not a valid name", 4, Some(3)),
        ),
        case(
            "slash in a Role name",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: a/b\n",
            Error("no '/'", 4, Some(3)),
        ),
        case(
            "dot-dot name",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ..\n",
            Error("cannot be a name", 4, Some(3)),
        ),
        case(
            "Service name starting with a digit",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: 1web\n",
            Error("not a valid Service name", 4, Some(3)),
        ),
        case(
            "300-character name",
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {long_name}\n"),
            Error("is not a valid name", 4, Some(3)),
        ),
        case(
            "misspelled metadata field",
            format!("{CM}  lables: {{app: demo}}\n"),
            Error(
                "metadata.lables is not a field of metadata (did you mean labels?)",
                5,
                Some(3),
            ),
        ),
        case(
            "unknown metadata field",
            format!("{CM}  owner: me\n"),
            Error("metadata.owner is not a field of metadata", 5, Some(3)),
        ),
        case(
            "wrong namespace",
            format!("{CM}  namespace: kube-system\n"),
            Error(
                "says namespace kube-system, but this lesson works in corpus",
                5,
                Some(3),
            ),
        ),
        case(
            "number as namespace",
            format!("{CM}  namespace: 5\n"),
            Error("says namespace 5", 5, Some(3)),
        ),
        case(
            "a Namespace",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: corpus\n",
            Error("does not create or change namespaces", 2, Some(1)),
        ),
        case(
            "Secret data not base64",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: hunter2!\n",
            Error("data.password is not base64", 6, Some(3)),
        ),
        case(
            "Secret data a number",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  pin: 1234\n",
            Error("data.pin is not base64", 6, Some(3)),
        ),
        case(
            "Secret data a list",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  - a\n",
            Error("a Secret's data is a mapping", 5, Some(1)),
        ),
        case(
            "ConfigMap data a number",
            format!("{CM}data:\n  port: 80\n"),
            Error("data.port is 80, not text: quote it", 6, Some(3)),
        ),
        case(
            "label value a number",
            format!("{CM}  labels:\n    version: 2\n"),
            Error("quote numbers and booleans", 3, Some(1)),
        ),
        case(
            "label value a boolean",
            format!("{CM}  labels:\n    enabled: yes\n"),
            Error("quote numbers and booleans", 3, Some(1)),
        ),
        case(
            "annotations a list",
            format!("{CM}  annotations: [a, b]\n"),
            Error("metadata:", 3, Some(1)),
        ),
        case(
            "second of two documents lacks its kind",
            format!("{CM}---\napiVersion: v1\nmetadata: {{name: b}}\n"),
            Error("kind is missing", 6, None),
        ),
        case(
            "third of three documents is bad YAML",
            format!("{CM}---\n{CM}---\napiVersion: v1\nkind: [\n"),
            Error("unclosed bracket", 12, Some(7)),
        ),
        case(
            "a good document after a bad one",
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: BAD\n---\n{CM}"),
            Error("is not a valid name", 4, Some(3)),
        ),
        case(
            "billion laughs",
            billion_laughs(),
            Error("billion laughs", 0, None),
        ),
        case(
            "alias of an unknown anchor",
            format!("{CM}data: *nothing\n"),
            Error("unknown anchor", 5, Some(7)),
        ),
        case(
            "1 MB paste",
            format!("{CM}data:\n  blob: {}\n", "x".repeat(1 << 20)),
            Error("at most 256 KB", 1, None),
        ),
        case(
            "NUL character",
            "apiVersion: v1\nkind: Config\u{0}Map\n",
            Error("unexpected character", 2, Some(13)),
        ),
        case(
            "BEL control character",
            "apiVersion: v1\nkind: \u{7}\n",
            Error("unexpected character", 2, Some(7)),
        ),
        case(
            "10 000 nested brackets",
            format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000)),
            Error("", 0, None),
        ),
        case(
            "a bare document end marker",
            format!("{CM}...\n"),
            Documents(1),
        ),
        case(
            "JSON instead of YAML",
            r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "demo"}, "data": {"a": "b"}}"#,
            Documents(1),
        ),
        case(
            "JSON with a trailing comma",
            r#"{"apiVersion": "v1", "kind": "ConfigMap",}"#,
            Error("has no metadata", 1, None),
        ),
        case(
            "anchors and aliases, used well",
            format!("{CM}  labels: &labels {{app: demo}}\n  annotations: *labels\n"),
            Documents(1),
        ),
        case(
            "an alias to another document's anchor",
            format!(
                "{CM}  labels: &labels {{app: demo}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  labels: *labels\n"
            ),
            Error("unknown anchor", 11, Some(11)),
        ),
        case(
            "a merge key",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  <<: {name: merged}\n",
            Documents(1),
        ),
        case("a byte-order mark", format!("\u{feff}{CM}"), Documents(1)),
        case("CRLF line ends", CM.replace('\n', "\r\n"), Documents(1)),
        case(
            "numbers quoted as strings in data",
            format!("{CM}data:\n  port: \"80\"\n  enabled: \"true\"\n"),
            Documents(1),
        ),
        case(
            "three documents with comments between",
            format!("# first\n{CM}---\n# second\n{CM}---\n{CM}# trailing\n"),
            Documents(3),
        ),
        case(
            "200 KB of data, under the limit",
            format!("{CM}data:\n  blob: {}\n", "x".repeat(200 * 1024)),
            Documents(1),
        ),
        case(
            "flow-style mapping",
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: flow}}",
            Documents(1),
        ),
        case(
            "plain-text Secret under stringData",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2!\n",
            Documents(1),
        ),
        case(
            "base64 Secret data",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: aHVudGVyMiE=\n",
            Documents(1),
        ),
    ]
}
