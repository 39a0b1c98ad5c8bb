// Runs inside headless Chromium, after adaptivecards.min.js and markdown-it.min.js.
// Draws one card at a time as Teams does (Teams' host config, markdown processed) and records
// what the renderer's onExecuteAction hands over when a button is pressed.
/* global AdaptiveCards, markdownit */
"use strict";

(function () {
  const md = markdownit({ html: false, linkify: false, breaks: false });
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = md.render(text);
    result.didProcess = true;
  };

  const executed = [];
  let current = null;

  // Teams swaps an "<at>Name</at>" token for the mention entity with the same text; a token with no
  // entity stays as typed. The renderer itself knows nothing of mentions, so the host does it first.
  function withMentions(card) {
    const entities = ((card.msteams || {}).entities || []).filter((e) => e.type === "mention");
    const known = new Map(entities.map((e) => [e.text, (e.mentioned || {}).name || ""]));
    const swap = (value) =>
      typeof value === "string"
        ? value.replace(/<at>(.*?)<\/at>/g, (token) => (known.has(token) ? known.get(token) : token))
        : Array.isArray(value)
          ? value.map(swap)
          : value && typeof value === "object"
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swap(v)]))
            : value;
    return swap(card);
  }

  function describeInput(input) {
    const root = input.renderedElement;
    const controls = root ? Array.from(root.querySelectorAll("input, textarea, select")) : [];
    controls.forEach((c, i) => c.setAttribute("data-pf-input", input.id + "#" + i));
    const select = controls.find((c) => c.tagName === "SELECT");
    return {
      id: input.id,
      type: input.getJsonTypeName(),
      label: input.label || "",
      required: !!input.isRequired,
      placeholder: input.placeholder || "",
      value: input.value === undefined ? null : String(input.value),
      choices: (input.choices || []).map((c) => ({ title: c.title, value: c.value })),
      controls: controls.map((c) => ({ tag: c.tagName.toLowerCase(), type: c.type || "", value: c.value })),
      shownInSelect: select ? select.options[select.selectedIndex] ? select.options[select.selectedIndex].text : "" : null,
    };
  }

  window.pf = {
    render(json, width) {
      const host = document.getElementById("card");
      host.style.width = width + "px";
      host.innerHTML = "";
      executed.length = 0;
      const card = new AdaptiveCards.AdaptiveCard();
      card.hostConfig = new AdaptiveCards.HostConfig(window.TEAMS_HOST_CONFIG);
      card.onExecuteAction = (action) => {
        executed.push({ type: action.getJsonTypeName(), title: action.title, data: action.data === undefined ? null : action.data });
      };
      const context = new AdaptiveCards.SerializationContext();
      card.parse(withMentions(json), context);
      const problems = [];
      for (let i = 0; i < context.eventCount; i++) {
        const e = context.getEventAt(i);
        problems.push(e.message);
      }
      const element = card.render();
      if (!element) throw new Error("the renderer drew nothing");
      host.appendChild(element);
      current = card;
      const actions = card.getAllActions().map((a, i) => {
        const button = a.renderedElement;
        if (button) button.setAttribute("data-pf-action", String(i));
        return {
          index: i,
          title: a.title || "",
          type: a.getJsonTypeName(),
          drawn: !!button && button.isConnected,
          enabled: !!button && !button.disabled && button.getAttribute("aria-disabled") !== "true",
        };
      });
      return {
        text: element.innerText,
        html: element.innerHTML,
        problems,
        inputs: card.getAllInputs().map(describeInput),
        actions,
        height: element.getBoundingClientRect().height,
      };
    },
    executed() {
      return executed.splice(0);
    },
    // The inputs that show a validation error after a press (a required field left empty).
    invalid() {
      return current ? current.getAllInputs().filter((i) => i.renderedElement && i.renderedElement.querySelector(".ac-input-validation-failed, [aria-invalid=true]")).map((i) => i.id) : [];
    },
  };
})();
