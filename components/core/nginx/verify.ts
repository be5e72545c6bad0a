// Verification: nginx itself logs each answer of the public servers (colour, status, time) while a
// marker file exists, so the switch can judge the colour it just sent traffic to by what clients
// got. A log file, not a status module: stock nginx has no per-upstream counters (that is NGINX
// Plus), and the marker keeps the file empty between releases (no growth, no rotation needed).

/** Where the answers are logged inside the proxy container, and the marker that turns logging on. */
export const VERIFY_DIR = "/var/log/bluegreen";
export const VERIFY_LOG = `${VERIFY_DIR}/answers.log`;
export const VERIFY_MARKER = `${VERIFY_DIR}/verifying`;
const FORMAT = "bluegreen_answers";

/** Shell text, run in the proxy's container: the log's directory, where nginx's workers (not root) must see the marker. */
export const MAKE_VERIFY_DIR = `mkdir -p ${VERIFY_DIR} && chmod 755 ${VERIFY_DIR}`;
/** Before the reload: an empty log, and the marker that makes nginx write it. */
export const START_ANSWERS = `${MAKE_VERIFY_DIR} && : > ${VERIFY_LOG} && touch ${VERIFY_MARKER} && chmod 644 ${VERIFY_MARKER}`;
/** After the window, whatever its outcome: nginx stops logging and the log is emptied. */
export const STOP_ANSWERS = `rm -f ${VERIFY_MARKER}; : > ${VERIFY_LOG}`;

/**
 * The log format (http level): one line per answer, `<msec> <colour> <status> <request time>
 * <upstream status...>` (last: it lists every attempt). `color` is the live colour, or with a
 * canary the variable naming the colour the client was sent to.
 */
export function answersFormat(color: string, files: AnswersFiles = answersFiles()): string {
    if (!/^(?:blue|green|\$bluegreen_color(?:_[0-9a-f]{12})?)$/.test(color)) {
        throw new Error(`verification colour must be blue, green or $bluegreen_color (got ${JSON.stringify(color)})`);
    }
    return `
    # Verification: every answer, while ${files.marker} exists (the switch makes and removes it).
    log_format ${files.format} '$msec ${color} $status $request_time $upstream_status';
`;
}

/** Where answers are logged and what turns logging on: the proxy's, or one app's on a shared proxy. */
export interface AnswersFiles {
    readonly log: string;
    readonly marker: string;
    /** The log format's name. */
    readonly format: string;
    /** Shell text: before the reload, an empty log and the marker; after the window, neither. */
    readonly start: string;
    readonly stop: string;
}

/** The files of an app alone (no key), or of the app whose key (a hash of its name) is `key`. */
export function answersFiles(key?: string): AnswersFiles {
    if (key === undefined) {
        return { log: VERIFY_LOG, marker: VERIFY_MARKER, format: FORMAT, start: START_ANSWERS, stop: STOP_ANSWERS };
    }
    if (!/^[0-9a-f]{12}$/.test(key)) {
        throw new Error(`an app's key is 12 hex digits (got ${JSON.stringify(key)})`);
    }
    const log = `${VERIFY_DIR}/answers-${key}.log`;
    const marker = `${VERIFY_DIR}/verifying-${key}`;
    return {
        log,
        marker,
        format: `${FORMAT}_${key}`,
        start: `${MAKE_VERIFY_DIR} && : > ${log} && touch ${marker} && chmod 644 ${marker}`,
        stop: `rm -f ${marker}; : > ${log}`,
    };
}

/**
 * One app's logging on a shared proxy: at server level, whether its marker exists (into
 * `$bluegreen_verifying_<key>`); in each of its proxying locations, the log line.
 */
export function appAnswersLog(key: string): { server: string; location: string } {
    const files = answersFiles(key);
    const flag = `$bluegreen_verifying_${key}`;
    return {
        server: `        set ${flag} "";
        if (-f ${files.marker}) {
            set ${flag} 1;
        }
`,
        location: `            access_log ${files.log} ${files.format} if=${flag};
`,
    };
}

/** In each public server: log answers only while the marker exists (one stat a request). */
export function answersLog(): string {
    return `        set $bluegreen_verifying "";
        if (-f ${VERIFY_MARKER}) {
            set $bluegreen_verifying 1;
        }
        access_log ${VERIFY_LOG} ${FORMAT} if=$bluegreen_verifying;
`;
}
