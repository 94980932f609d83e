// The CLI's language (issue 12, "the CLI follows LANG"): POSIX precedence, LC_ALL, then
// LC_MESSAGES, then LANG (LANGUAGE, GNU's list, first when set and the locale is not C),
// each a locale name like zh_CN.UTF-8 or th_TH; the C and POSIX locales are English.
// The tables are src/cli/strings*.ts; the page's are src/web/strings*.ts, with the same
// three languages.
import { matchLanguage, type Lang } from '../web/strings.ts';

/** The language of a POSIX locale name (zh_CN.UTF-8 → zh-CN, th_TH → th), or null. */
export function localeLanguage(locale: string | undefined): Lang | null {
  if (!locale) return null;
  const base = locale.split(/[.@]/)[0]!.replace(/_/g, '-');
  if (base === 'C' || base === 'POSIX') return 'en';
  return matchLanguage(base);
}

/** The language the environment asks for; English when none of ours is asked for. */
export function envLanguage(env: NodeJS.ProcessEnv = process.env): Lang {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG;
  if (env.LANGUAGE && localeLanguage(locale) !== 'en') {
    for (const l of env.LANGUAGE.split(':')) {
      const x = localeLanguage(l);
      if (x) return x;
    }
  }
  return localeLanguage(locale) ?? 'en';
}
