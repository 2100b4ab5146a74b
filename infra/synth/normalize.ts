/**
 * Turns the inputs the mocks captured into plain, stable JSON for the manifest:
 * - Pulumi secrets become "[secret]", and so does any value under a key that names a secret
 *   (`API_TOKEN`, `dbPassword`, …): a manifest is posted to pull requests.
 * - Assets and archives become what they stand for: a Lambda bundle (`{ lambdaBundle }`,
 *   replaced by the bundle's source hash in the manifest), a file (repo-relative path and its
 *   sha256), a string (its sha256), a remote URI.
 * - Strings holding a JSON object or array (IAM policies, the state machine definition, the
 *   schedule input) are parsed, so changes show by property and not as one long string.
 * - Object keys are sorted; `undefined` is dropped.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const SECRET = "[secret]";

/** Pulumi's wire signature of a secret value (@pulumi/pulumi runtime/rpc: specialSigKey). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SECRET_NAME = /secret|passw(or)?d|token|private[-_]?key|api[-_]?key|credential/i;

export interface NormalizeContext {
  /** The checkout: file assets are named relative to it. */
  root: string;
  /** The fake bundle directory of the run: archives under it are Lambda bundles. */
  codeDir: string;
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

function relativeTo(root: string, file: string): string {
  const rel = path.relative(root, file);
  return (rel.startsWith("..") || path.isAbsolute(rel) ? file : rel).replaceAll("\\", "/");
}

function isSecret(value: object): boolean {
  return (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

async function normalizeAsset(value: object, ctx: NormalizeContext): Promise<Json> {
  if (value instanceof pulumi.asset.FileArchive) {
    const file = path.resolve(await value.path);
    if (path.dirname(file) === path.resolve(ctx.codeDir)) {
      return { lambdaBundle: path.basename(file) };
    }
    return { fileArchive: relativeTo(ctx.root, file) };
  }
  if (value instanceof pulumi.asset.FileAsset) {
    const file = path.resolve(ctx.root, await value.path);
    let digest: string;
    try {
      digest = sha256(readFileSync(file));
    } catch {
      digest = "(missing file)";
    }
    return { fileAsset: relativeTo(ctx.root, file), sha256: digest };
  }
  if (value instanceof pulumi.asset.StringAsset) return { stringAsset: sha256(await value.text) };
  if (value instanceof pulumi.asset.RemoteAsset || value instanceof pulumi.asset.RemoteArchive) {
    return { remote: await value.uri };
  }
  if (value instanceof pulumi.asset.AssetArchive) {
    const assets = await value.assets;
    const out: Record<string, Json> = {};
    for (const key of Object.keys(assets).sort()) {
      out[key] = await normalizeValue(assets[key], ctx);
    }
    return { assetArchive: out };
  }
  return "[asset]";
}

function parseJsonText(text: string): Json | undefined {
  const trimmed = text.trim();
  if (!(trimmed.startsWith("{") || trimmed.startsWith("["))) return undefined;
  try {
    return JSON.parse(trimmed) as Json;
  } catch {
    return undefined;
  }
}

/** The manifest form of one captured input value. */
export async function normalizeValue(value: unknown, ctx: NormalizeContext): Promise<Json> {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") {
    const parsed = parseJsonText(value);
    return parsed === undefined ? value : sortKeys(parsed);
  }
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const item of value) out.push(await normalizeValue(item, ctx));
    return out;
  }
  if (typeof value === "object") {
    if (isSecret(value)) return SECRET;
    if (pulumi.asset.Asset.isInstance(value) || pulumi.asset.Archive.isInstance(value)) {
      return normalizeAsset(value, ctx);
    }
    const out: Record<string, Json> = {};
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record).sort()) {
      if (record[key] === undefined) continue;
      out[key] =
        SECRET_NAME.test(key) && typeof record[key] !== "object"
          ? SECRET
          : await normalizeValue(record[key], ctx);
    }
    return out;
  }
  return String(value);
}

/** A copy of a JSON value with every object's keys sorted. */
export function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, Json> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
    return out;
  }
  return value;
}

/** JSON text with sorted keys, two-space indented, ending in a newline. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value as Json), null, 2)}\n`;
}
