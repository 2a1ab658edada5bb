/**
 * The directory the Dovecot 2.3 and 2.4 auth tests share. alice: password, alias, quota. bob: no
 * password hash. carol: disabled. The odd one holds a \x01 byte, which every wire format must
 * escape on the way out and unescape on the way in.
 */
export const AUTH_TEST_YAML = `
domains: [example.com]
mailboxes:
  - address: alice@example.com
    aliases: [a.smith@example.com]
    quota: 2G
    passwordHash: "{PLAIN}secret"
  - address: bob@example.com
  - address: carol@example.com
    enabled: false
    passwordHash: "{PLAIN}carol-pw"
  - address: "odd\\x01one@example.com"
`;
