// The tiler's error classes: DataError for bad input (with file and line), TilerUsageError for wrong API or CLI use.

/** Bad input data: a file that cannot be read, parsed or placed. Carries the file and, where known, the line. */
export class DataError extends Error {
  readonly file: string;
  readonly line?: number;
  /** The message without the file and line. */
  readonly detail: string;

  constructor(message: string, file: string, line?: number) {
    super(line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
    this.detail = message;
  }
}

/** Wrong use of the API or CLI (an option that makes no sense), as opposed to bad data. */
export class TilerUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TilerUsageError';
  }
}

/** A problem with one object or file that the run skipped and carried on past. */
export interface ConversionWarning {
  file: string;
  line?: number;
  message: string;
}
