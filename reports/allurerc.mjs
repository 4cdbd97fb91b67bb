// Allure Report 3 configuration, read by `allure awesome --config reports/allurerc.mjs`
// and `allure generate --config reports/allurerc.mjs` (wscard/report/allure_html.py
// passes it explicitly; Allure 3 also finds it by name when run from this folder).
//
// Allure 3's "awesome" report does not read categories.json from the results folder
// (only the Allure 2 style plugins do): the categories come from this config. They are
// kept in Allure 2's format in categories.json (matchedStatuses, messageRegex), which
// Allure 3 accepts as is. WSCARD_ALLURE_CATEGORIES points at the categories.json of the
// results being rendered, so both report styles use the same file.
//
// `allure generate` (allure_html.generate_views) writes several views of the same
// results in one run: WSCARD_ALLURE_VIEWS is a JSON list of {id, groupBy, name}, one
// single-file awesome report each (the view by area, the view by requirement).
// WSCARD_ALLURE_HISTORY is Allure's history file (trends), WSCARD_ALLURE_APPEND_HISTORY
// says whether this run is added to it (complete runs only), and
// WSCARD_ALLURE_GLOBAL_ATTACHMENTS lists files shown as the report's global attachments
// (the traceability matrix). `allure awesome` ignores the plugins given here.
import { readFileSync } from "node:fs";

const categoriesFile =
  process.env.WSCARD_ALLURE_CATEGORIES || new URL("./categories.json", import.meta.url);

const views = process.env.WSCARD_ALLURE_VIEWS ? JSON.parse(process.env.WSCARD_ALLURE_VIEWS) : [];
const plugins = Object.fromEntries(
  views.map((v) => [
    v.id,
    {
      import: "@allurereport/plugin-awesome",
      options: { singleFile: true, reportLanguage: "en", reportName: v.name, groupBy: v.groupBy },
    },
  ]),
);

const config = {
  name: "Smart-card sign-in to Amazon WorkSpaces: compliance",
  categories: { rules: JSON.parse(readFileSync(categoriesFile, "utf8")) },
  // Noise for an auditor: the Python thread that ran a scenario.
  hideLabels: ["thread"],
};
if (views.length) config.plugins = plugins;
if (process.env.WSCARD_ALLURE_HISTORY) {
  config.historyPath = process.env.WSCARD_ALLURE_HISTORY;
  config.appendHistory = process.env.WSCARD_ALLURE_APPEND_HISTORY === "1";
  config.historyLimit = 200;
}
if (process.env.WSCARD_ALLURE_GLOBAL_ATTACHMENTS) {
  config.globalAttachments = JSON.parse(process.env.WSCARD_ALLURE_GLOBAL_ATTACHMENTS);
}
export default config;
