import { formatQuota } from '../directory/directory-data.js';
import type { Mailbox } from '../directory/directory.js';
import { ConfigError } from '../errors.js';

/** The one set of userdb templates (config `dict.userdb.*`), used by Dovecot 2.3 and 2.4 alike. */
export interface UserdbTemplates {
  readonly uid: string;
  readonly gid: string;
  readonly home: string;
  /** 2.3 mail_location form, `driver:path[:KEY=VALUE...]`; 2.4 gets it split into settings. */
  readonly mail: string;
  /** 2.3 quota_rule; on 2.4 a non-empty rule means "send quota_storage_size". */
  readonly quotaRule: string;
}

/** Which Dovecot reads the fields: their names changed in 2.4. */
export type DovecotVersion = '2.3' | '2.4';

/** One userdb field: name and value. */
export type UserdbField = readonly [name: string, value: string];

/**
 * 2.3 mail_location parameters and the 2.4 settings that replaced them (upgrade guide, "Mailbox
 * Location"). Anything else in a mail template cannot be sent to 2.4 and is refused at startup.
 */
const MAIL_PARAMS_24: Readonly<Record<string, string>> = {
  INDEX: 'mail_index_path',
  INDEXPVT: 'mail_index_private_path',
  CONTROL: 'mail_control_path',
  INBOX: 'mail_inbox_path',
  ALT: 'mail_alt_path',
  LAYOUT: 'mailbox_list_layout',
  DIRNAME: 'mailbox_directory_name',
  SUBSCRIPTIONS: 'mailbox_subscriptions_filename',
  VOLATILEDIR: 'mail_volatile_path',
};

/**
 * Builds userdb fields for one Dovecot version from the shared templates. The templates are
 * compiled once: a lookup only concatenates strings.
 */
export class UserdbFieldBuilder {
  /** Fields in output order; `quota` ones are sent only for a mailbox with a quota. */
  readonly #fields: readonly { readonly name: string; readonly expand: Expander; readonly quota: boolean }[];

  constructor(templates: UserdbTemplates, version: DovecotVersion) {
    const out: { name: string; expand: Expander; quota: boolean }[] = [];
    const add = (name: string, template: string, quota = false): void => {
      if (template !== '') out.push({ name, expand: compileTemplate(template), quota });
    };
    add('uid', templates.uid);
    add('gid', templates.gid);
    add('home', templates.home);
    if (version === '2.3') {
      add('mail', templates.mail);
      add('quota_rule', templates.quotaRule, true);
    } else {
      for (const [name, template] of splitMailTemplate(templates.mail)) add(name, template);
      // quota_storage_size takes the same sizes as formatQuota writes (2G, 512M, 100k).
      if (templates.quotaRule !== '') add('quota_storage_size', '%q', true);
    }
    this.#fields = out;
  }

  /** The fields for mailbox `mb` looked up as `name`; `user` first when the name was not canonical. */
  fields(mb: Mailbox, name: string): UserdbField[] {
    const vars: TemplateVars = { u: mb.address, n: mb.local, d: mb.domain, q: mb.quotaBytes === undefined ? undefined : formatQuota(mb.quotaBytes) };
    const out: UserdbField[] = [];
    if (mb.address !== name) out.push(['user', mb.address]);
    for (const f of this.#fields) {
      if (f.quota && vars.q === undefined) continue;
      out.push([f.name, f.expand(vars)]);
    }
    return out;
  }
}

/**
 * `maildir:~/Maildir:LAYOUT=fs` -> mail_driver, mail_path and one setting per parameter. Split on
 * the template, before expansion: no variable value can hold a ':' (addresses never do).
 */
function splitMailTemplate(mail: string): UserdbField[] {
  if (mail === '') return [];
  const [driver, path = '', ...params] = mail.split(':');
  const out: UserdbField[] = [['mail_driver', driver!]];
  if (path !== '') out.push(['mail_path', path]);
  for (const p of params) {
    const eq = p.indexOf('=');
    const setting = eq > 0 ? MAIL_PARAMS_24[p.slice(0, eq).toUpperCase()] : undefined;
    if (setting === undefined) {
      throw new ConfigError(`dict.userdb.mail: "${p}" has no Dovecot 2.4 equivalent; use one of ${Object.keys(MAIL_PARAMS_24).join(', ')}`);
    }
    out.push([setting, p.slice(eq + 1)]);
  }
  return out;
}

/** Values of the template variables for one mailbox. */
interface TemplateVars {
  readonly u: string;
  readonly n: string;
  readonly d: string;
  readonly q: string | undefined;
}

type Expander = (vars: TemplateVars) => string;

/** Splits a template once into literals and variables (schema-dict.ts validated it). */
function compileTemplate(template: string): Expander {
  // Odd indexes hold the `%x` tokens.
  const parts = template.split(/(%.)/s);
  if (parts.length === 1) return () => template;
  return (vars) => {
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i += 2) {
      const c = parts[i]![1]!;
      out += (c === '%' ? '%' : vars[c as keyof TemplateVars] ?? '') + parts[i + 1]!;
    }
    return out;
  };
}
