/**
 * Typed errors of the device client: one class per hardware status (refusals by the core),
 * link errors (the line, the port, the device's identity) and InputError (zod).
 */
import type { z } from 'zod';
import { SalienceReason, type OpName } from '../../spec/index.js';
import type { ErrorResponse } from '../protocol/messages.js';

/** The core refused an operation; nothing changed on the device. */
export abstract class DeviceStatusError extends Error {
  abstract readonly status: ErrorResponse['status'];
  constructor(
    readonly op: OpName,
    message: string,
  ) {
    super(`${op}: ${message}`);
  }
}

export class WindowNotFoundError extends DeviceStatusError {
  override readonly name = 'WindowNotFoundError';
  readonly status = 'windowNotFound';
  constructor(op: OpName, readonly window?: number) {
    super(op, `window ${fmtWindow(window)} does not exist (never opened, or its slot was reused)`);
  }
}

export class WindowAlreadyClosedError extends DeviceStatusError {
  override readonly name = 'WindowAlreadyClosedError';
  readonly status = 'windowAlreadyClosed';
  constructor(op: OpName, readonly window?: number) {
    super(op, `window ${fmtWindow(window)} is closed`);
  }
}

export class BoundedMemoryExceededError extends DeviceStatusError {
  override readonly name = 'BoundedMemoryExceededError';
  readonly status = 'boundedMemoryExceeded';
  constructor(op: OpName, readonly max: number) {
    super(op, `at most ${max} windows may be open`);
  }
}

export class BoundedMemoryInsufficientError extends DeviceStatusError {
  override readonly name = 'BoundedMemoryInsufficientError';
  readonly status = 'boundedMemoryInsufficient';
  constructor(op: OpName, readonly min: number) {
    super(op, `at least ${min} windows must stay open`);
  }
}

const SALIENCE_REASONS: Record<number, string> = {
  [SalienceReason.ConnectionZero]: 'a salience with connection = 0 is not allowed',
  [SalienceReason.WeightSum]: 'salience weights must sum to 256',
};

export class InvalidSalienceError extends DeviceStatusError {
  override readonly name = 'InvalidSalienceError';
  readonly status = 'invalidSalience';
  constructor(op: OpName, readonly reason: number) {
    super(op, SALIENCE_REASONS[reason] ?? `invalid salience (reason ${reason})`);
  }
}

const BAD_REQUEST_REASONS: Record<number, string> = {
  1: 'unknown opcode',
  2: 'bad payload length',
  3: 'bad argument',
};

export class BadRequestError extends DeviceStatusError {
  override readonly name = 'BadRequestError';
  readonly status = 'badRequest';
  constructor(op: OpName, readonly reason: number) {
    super(op, `bad request: ${BAD_REQUEST_REASONS[reason] ?? `reason ${reason}`}`);
  }
}

function fmtWindow(window: number | undefined): string {
  return window === undefined ? '(unknown)' : `0x${window.toString(16).padStart(4, '0')}`;
}

/** The typed error of a refusal; `window` is the id the request named, for the message. */
export function statusError(op: OpName, response: ErrorResponse, window?: number): Error {
  switch (response.status) {
    case 'windowNotFound':
      return new WindowNotFoundError(op, window);
    case 'windowAlreadyClosed':
      return new WindowAlreadyClosedError(op, window);
    case 'boundedMemoryExceeded':
      return new BoundedMemoryExceededError(op, response.max);
    case 'boundedMemoryInsufficient':
      return new BoundedMemoryInsufficientError(op, response.min);
    case 'invalidSalience':
      return new InvalidSalienceError(op, response.reason);
    case 'badRequest':
      return new BadRequestError(op, response.reason);
    case 'badSequence':
      // The link layer consumes BadSequence; reaching here means the link lost track.
      return new LinkProtocolError(`${op}: device reported BadSequence (expected ${response.expected})`);
  }
}

/** Base of errors about the line, the port or the device's identity. */
export class LinkError extends Error {}

export class LinkTimeoutError extends LinkError {
  override readonly name = 'LinkTimeoutError';
  constructor(
    readonly op: OpName | 'unknown',
    readonly attempts: number,
    readonly timeoutMs: number,
  ) {
    super(`${op}: no answer from the device after ${attempts} attempts of ${timeoutMs} ms`);
  }
}

export interface MismatchedField {
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

export class DeviceMismatchError extends LinkError {
  override readonly name = 'DeviceMismatchError';
  constructor(readonly fields: readonly MismatchedField[]) {
    super(
      `the device does not match the expected config: ${fields
        .map((f) => `${f.field} is ${JSON.stringify(f.actual)}, expected ${JSON.stringify(f.expected)}`)
        .join('; ')}`,
    );
  }
}

export class PortClosedError extends LinkError {
  override readonly name = 'PortClosedError';
  constructor(detail = 'the port is closed') {
    super(detail);
  }
}

/** The device answered something the protocol does not allow (e.g. it lost its sequence state). */
export class LinkProtocolError extends LinkError {
  override readonly name = 'LinkProtocolError';
}

/** A public input failed validation; names each offending field. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly method: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(`${method}: ${issues.map((i) => `${i.path || '(input)'}: ${i.message}`).join('; ')}`);
  }
}

/** Parses a public input with zod; failures become InputError naming each field. */
export function validateInput<T extends z.ZodType>(method: string, schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InputError(method, r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return r.data;
}
