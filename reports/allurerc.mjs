// Allure Report 3 configuration, read by `allure awesome --config reports/allurerc.mjs`
// (wscard/report/allure_html.py passes it explicitly; Allure 3 also finds it by name
// when run from this folder).
//
// Allure 3's "awesome" report does not read categories.json from the results folder
// (only the Allure 2 style plugins do): the categories come from this config. They are
// kept in Allure 2's format in categories.json (matchedStatuses, messageRegex), which
// Allure 3 accepts as is. WSCARD_ALLURE_CATEGORIES points at the categories.json of the
// results being rendered, so both report styles use the same file.
import { readFileSync } from "node:fs";

const categoriesFile =
  process.env.WSCARD_ALLURE_CATEGORIES || new URL("./categories.json", import.meta.url);

export default {
  name: "Smart-card sign-in to Amazon WorkSpaces: compliance",
  categories: { rules: JSON.parse(readFileSync(categoriesFile, "utf8")) },
  // Noise for an auditor: the Python thread that ran a scenario.
  hideLabels: ["thread"],
};
