/** Inputs up to this many bytes are converted in the launching process. */
export const SMALL_INPUT_BYTES: number;
/** Uncompressed CityGML inputs up to this many bytes are converted in the launching process too. */
export const MEDIUM_CITYGML_BYTES: number;
/** The CLI's options that take a value. */
export const VALUE_OPTIONS: string[];
/** The CLI's options without a value. */
export const FLAGS: string[];
/** Work (CityGML bytes, other bytes counted eight times) up to which an in-process conversion runs without TurboFan. */
export const UNOPTIMIZED_WORK: number;
/**
 * undefined when a command line is converted in a child process, else the V8 flags set for converting in-process:
 * regular files of at most SMALL_INPUT_BYTES together (MEDIUM_CITYGML_BYTES for CityGML).
 */
export function inProcessFlags(argv: string[]): string[] | undefined;
/** A code cache file's V8 data, or undefined when it is missing or its checksum does not match. */
export function readCodeCache(file: string): Buffer | undefined;
/** Writes a code cache file: a CRC-32 of the data, then the data. */
export function writeCodeCache(file: string, data: Buffer): void;
