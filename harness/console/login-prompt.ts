// getty's login prompt as the console shows it: `<hostname> login: ` at the end of what has arrived,
// or followed on its line by another process's console message. The prompt has no newline, so a
// message written to /dev/console right after it (`[engine] restarting resin_supervisor …`, a
// kernel line) lands on the same line, and when both come in one chunk of serial output the prompt
// is never at the end of the text. Seen on the BeagleBone after upgrade-1.x.sh's reboot: the board
// was up, the wait for its prompt timed out and failed the path as the product's.

/** One console line (or the partial line so far) that is a login prompt. */
export const LOGIN_PROMPT_LINE = /\blogin: ?$|^[\w.-]+ login: (?=\[)/;

/** The same, for expect() on the console's text (multiline). */
export const LOGIN_PROMPT = new RegExp(LOGIN_PROMPT_LINE.source, 'm');

export const isLoginPrompt = (line: string): boolean => LOGIN_PROMPT_LINE.test(line);
