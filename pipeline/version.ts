/** Orchard's version, recorded in every model's lineage. A test keeps it equal to package.json's. */
export const ORCHARD_VERSION = "0.1.0";
