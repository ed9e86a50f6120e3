// The helpdesk chat widget: a launcher button and a chat panel on any web page, talking to the
// bot over Rasa's socket.io channel. scripts/build-widget.js wraps this file with `io`
// (socket.io-client) and `WIDGET_CSS` into web/dist/helpdesk-widget.js; a page embeds it with
//
//   <script src="https://…/helpdesk-widget.js" defer
//           data-server-url="https://bot.example.edu.cn" data-title="…" data-greeting="…"
//           data-primary-color="#0b5cad"></script>
//
// Bot and user text is only ever put into the page as text (textContent), never as HTML.
//
// Shared computers (a lab, a library): by default the session id and the history live in the
// tab's sessionStorage only; data-history-minutes="N" keeps them in localStorage until N minutes
// without a message; data-shared-device="true" keeps nothing (a reload starts afresh). "清除对话"
// in the header forgets the history and the session id and asks the server for a new session.
// data-staff="true" (the staff page) asks for the staff token and sends it when connecting
// (socket.io `auth`); it is kept in memory only.

var script = document.currentScript;

if (!window.HelpdeskWidget && script) {
  window.HelpdeskWidget = createWidget(readSettings(script.dataset || {}));
}

function readSettings(data) {
  var color = (data.primaryColor || '').trim();
  return {
    // Default: the Rasa server on port 5005 of the host that serves the page.
    serverUrl: (data.serverUrl || location.protocol + '//' + location.hostname + ':5005').replace(/\/+$/, ''),
    socketPath: data.socketPath || '/socket.io/',
    title: data.title || '学校服务台',
    greeting: data.greeting || '你好！我是服务台机器人，有什么可以帮你？',
    primaryColor: color && window.CSS && CSS.supports('color', color) ? color : '#0b5cad',
    launcherLabel: data.launcherLabel || '在线咨询',
    placeholder: data.placeholder || '请输入你的问题',
    // Minutes without a message after which a conversation kept in localStorage is forgotten;
    // 0 (the default): the tab's sessionStorage only.
    historyMinutes: Math.max(0, parseFloat(data.historyMinutes) || 0),
    sharedDevice: data.sharedDevice === 'true',
    staff: data.staff === 'true',
  };
}

function createWidget(settings) {
  var TEXT = {
    close: '关闭对话',
    send: '发送',
    connecting: '正在连接…',
    online: '在线',
    offline: '未连接',
    disconnected: '连接已断开，正在重新连接…',
    unreachable: '暂时连不上服务台，正在重试…请稍后再试，或联系学校信息化办公室。',
    typing: '正在输入',
    quickReplies: '快捷回复',
    feedback: '这条回答有帮助吗',
    image: '图片',
    clear: '清除对话',
    clearHint: '清除本机上的对话记录，开始新的对话（在公用电脑上用完请点这里）',
    staffPrompt: '培训演练仅供服务台工作人员使用，请输入工作人员口令：',
    staffToken: '工作人员口令',
    staffEnter: '进入',
    staffRejected: '口令不正确，请重新输入。',
    staffLocked: '口令错误次数过多，暂时不能登录，请稍后再试。',
  };
  // What the server says when it refuses a staff token (channels/staff.py: TOKEN_REFUSED).
  var STAFF_TOKEN_REFUSED = 'staff token not accepted';
  // ... and while its address is refused after too many wrong ones (TOKEN_LOCKED).
  var STAFF_TOKEN_LOCKED = 'staff token attempts exceeded';
  var EXPIRY_CHECK_MS = 10000;
  var TYPING_TIMEOUT_MS = 30000;
  var HISTORY_LIMIT = 200;

  // ---- storage: where the session id and the rendered history are kept, if anywhere ----
  var storagePrefix = 'helpdesk-widget:' + settings.serverUrl + ':';
  var CONVERSATION_KEYS = ['session', 'history', 'active'];

  function storageArea(name) {
    try {
      return window[name] || null; // a browser with storage disabled throws here
    } catch (e) {
      return null;
    }
  }

  var local = storageArea('localStorage');
  var perTab = storageArea('sessionStorage');
  // The conversation's store: nothing on a shared device, localStorage when the site opted in to
  // keeping it for a while, else the tab's sessionStorage (gone when the tab is closed).
  var store = settings.sharedDevice ? null : settings.historyMinutes > 0 ? local : perTab;
  // Whether the panel is open is kept per tab (a reload keeps it open), except on a shared device.
  var uiStore = settings.sharedDevice ? null : perTab;

  function load(key, area) {
    try {
      return area ? JSON.parse(area.getItem(storagePrefix + key)) : null;
    } catch (e) {
      return null; // storage disabled (private mode) or damaged: start afresh
    }
  }

  function save(key, value, area) {
    try {
      if (area) area.setItem(storagePrefix + key, JSON.stringify(value));
    } catch (e) {
      /* storage full or disabled: the conversation still works, it is just not kept */
    }
  }

  function remove(keys, area) {
    keys.forEach(function (key) {
      try {
        if (area) area.removeItem(storagePrefix + key);
      } catch (e) {
        /* storage disabled: nothing kept */
      }
    });
  }

  // Nothing is left where this page does not keep its conversation: a conversation an earlier
  // version (or another setting) kept in localStorage, with no expiry, is removed here.
  [local, perTab].forEach(function (area) {
    if (area && area !== store) remove(CONVERSATION_KEYS, area);
  });
  if (!uiStore) remove(['open'], perTab);

  function expiryMs() {
    return settings.historyMinutes * 60000;
  }

  // A conversation kept in localStorage is forgotten after historyMinutes without a message (or
  // when it has no time at all: kept by an earlier version).
  function expired() {
    if (store !== local || !local) return false;
    var last = load('active', store);
    return typeof last !== 'number' || Date.now() - last > expiryMs();
  }

  function touch() {
    if (store === local) save('active', Date.now(), store);
  }

  if (expired()) remove(CONVERSATION_KEYS, store);
  var sessionId = typeof load('session', store) === 'string' ? load('session', store) : null;
  var history = Array.isArray(load('history', store)) ? load('history', store) : [];

  // ---- the DOM, in a shadow root so that the page's CSS and the widget's do not mix ----
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var host = el('div');
  host.id = 'helpdesk-widget';
  host.style.setProperty('--hd-primary', settings.primaryColor);
  var shadow = host.attachShadow({ mode: 'open' });
  var style = el('style');
  style.textContent = WIDGET_CSS;
  shadow.appendChild(style);

  var root = el('div', 'hd-root');
  var launcher = el('button', 'hd-launcher');
  launcher.type = 'button';
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-label', settings.launcherLabel);
  launcher.appendChild(el('span', 'hd-launcher-icon')).setAttribute('aria-hidden', 'true');
  launcher.appendChild(el('span', 'hd-launcher-label', settings.launcherLabel));
  var unread = launcher.appendChild(el('span', 'hd-unread'));
  unread.hidden = true;
  unread.setAttribute('aria-hidden', 'true');

  var panel = el('section', 'hd-panel');
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', settings.title);

  var header = el('header', 'hd-header');
  var heading = el('div', 'hd-heading');
  heading.appendChild(el('h2', 'hd-title', settings.title));
  var status = heading.appendChild(el('div', 'hd-status', TEXT.connecting));
  header.appendChild(heading);
  var clearButton = el('button', 'hd-clear', TEXT.clear);
  clearButton.type = 'button';
  clearButton.title = TEXT.clearHint;
  header.appendChild(clearButton);
  var closeButton = el('button', 'hd-close');
  closeButton.type = 'button';
  closeButton.setAttribute('aria-label', TEXT.close);
  closeButton.title = TEXT.close;
  closeButton.textContent = '×';
  header.appendChild(closeButton);

  var banner = el('div', 'hd-banner');
  banner.setAttribute('role', 'alert');
  banner.hidden = true;

  var scroller = el('div', 'hd-scroller');
  var list = el('ol', 'hd-messages');
  list.setAttribute('role', 'log');
  list.setAttribute('aria-live', 'polite');
  var typing = el('div', 'hd-typing');
  typing.setAttribute('role', 'status');
  typing.setAttribute('aria-label', TEXT.typing);
  typing.hidden = true;
  typing.appendChild(el('span'));
  typing.appendChild(el('span'));
  typing.appendChild(el('span'));
  scroller.appendChild(list);
  scroller.appendChild(typing);

  var form = el('form', 'hd-composer');
  var input = el('textarea', 'hd-input');
  input.rows = 1;
  input.placeholder = settings.placeholder;
  input.setAttribute('aria-label', settings.placeholder);
  input.setAttribute('enterkeyhint', 'send');
  input.maxLength = 500;
  var sendButton = el('button', 'hd-send', TEXT.send);
  sendButton.type = 'submit';
  sendButton.disabled = true;
  form.appendChild(input);
  form.appendChild(sendButton);

  // The staff page: the staff token, asked for before connecting, kept in memory only.
  var login = el('form', 'hd-login');
  login.hidden = true;
  var loginLabel = login.appendChild(el('label', 'hd-login-label', TEXT.staffPrompt));
  var tokenInput = el('input', 'hd-token');
  tokenInput.type = 'password';
  tokenInput.autocomplete = 'off';
  tokenInput.setAttribute('aria-label', TEXT.staffToken);
  loginLabel.appendChild(tokenInput);
  var loginError = login.appendChild(el('div', 'hd-login-error'));
  loginError.setAttribute('aria-live', 'assertive');
  loginError.hidden = true;
  var loginButton = login.appendChild(el('button', 'hd-send', TEXT.staffEnter));
  loginButton.type = 'submit';
  var staffToken = null;

  panel.appendChild(header);
  panel.appendChild(banner);
  panel.appendChild(scroller);
  panel.appendChild(login);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);
  shadow.appendChild(root);

  // ---- messages ----
  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function safeUrl(url) {
    try {
      var parsed = new URL(String(url), location.href);
      return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  // A numbered step or a line that starts with a symbol or an emoji. Older browsers (some in-app
  // browsers of messaging apps) lack \p{…} in regular expressions: they get the common symbols.
  var ITEM_LINE = (function () {
    try {
      return new RegExp('^\\s*(\\d{1,2}[.．、)）]|[•·\\-–□]|\\p{Extended_Pictographic}\\uFE0F?)\\s*\\S', 'u');
    } catch (e) {
      return /^\s*(\d{1,2}[.．、)）]|[•·\-–□⚠💡📄])\s*\S/;
    }
  })();

  // One line of text, its web addresses as links.
  function lineNode(line) {
    var span = el('span', 'hd-line');
    // Numbered steps ("1. …") and marked points ("⚠ …") get a hanging indent: wrapped lines
    // start under the text, not under the number.
    var item = ITEM_LINE.exec(line);
    if (item) {
      span.className += /\d|□/.test(item[1]) ? ' hd-item hd-number' : /^[•·\-–]$/.test(item[1]) ? ' hd-item hd-bullet' : ' hd-item hd-symbol';
    }
    line.split(/(https?:\/\/[^\s，。；、！？）)”"'<>]+)/).forEach(function (part, i) {
      if (i % 2 === 1 && safeUrl(part)) {
        var link = el('a', null, part);
        link.href = safeUrl(part);
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        span.appendChild(link);
      } else if (part) {
        span.appendChild(document.createTextNode(part));
      }
    });
    return span;
  }

  // Text line by line: every line break of the bot's answer is kept (also by CSS pre-wrap).
  function textNode(text) {
    var block = el('div', 'hd-text');
    String(text).split('\n').forEach(function (line) {
      block.appendChild(lineNode(line));
    });
    return block;
  }

  // A row of buttons under a message, each sending its payload: the topic buttons as quick replies;
  // 有帮助 / 没帮助 under a knowledge answer (actions/feedback.py), recognised by their payload, as two
  // small buttons on one line, apart from the topic buttons, gone once one is tapped.
  function buttonRow(buttons, rowClass, buttonClass, label) {
    var row = el('li', rowClass);
    row.setAttribute('role', 'group');
    row.setAttribute('aria-label', label);
    buttons.forEach(function (button) {
      var node = el('button', buttonClass, button.title);
      node.type = 'button';
      node.addEventListener('click', function () {
        send(button.payload, button.title);
      });
      row.appendChild(node);
    });
    return row;
  }

  function isFeedback(button) {
    return /^\/feedback\{/.test(button.payload) && /"helpful"/.test(button.payload);
  }

  function renderEntry(entry, withButtons) {
    var item = el('li', 'hd-message hd-' + (entry.from === 'user' ? 'user' : 'bot'));
    var bubble = item.appendChild(el('div', 'hd-bubble'));
    // A person answering (the staff console, channels/handoff.py): their label above the text.
    if (entry.label) {
      item.classList.add('hd-staff');
      bubble.appendChild(el('span', 'hd-label', entry.label));
    }
    if (entry.text) bubble.appendChild(textNode(entry.text));
    if (entry.image && safeUrl(entry.image)) {
      var image = el('img', 'hd-image');
      image.src = safeUrl(entry.image);
      image.alt = TEXT.image;
      image.addEventListener('load', scrollToEnd);
      bubble.appendChild(image);
    }
    list.appendChild(item);
    if (!withButtons || !entry.buttons) return;
    var feedback = entry.buttons.filter(isFeedback);
    var others = entry.buttons.filter(function (b) {
      return !isFeedback(b);
    });
    if (feedback.length) {
      list.appendChild(buttonRow(feedback, 'hd-quick-replies hd-feedback', 'hd-feedback-button', TEXT.feedback));
    }
    if (others.length) list.appendChild(buttonRow(others, 'hd-quick-replies', 'hd-quick-reply', TEXT.quickReplies));
  }

  // Quick replies answer the bot's latest question: they go once the user says anything.
  function removeQuickReplies() {
    Array.prototype.forEach.call(list.querySelectorAll('.hd-quick-replies'), function (group) {
      group.remove();
    });
  }

  function renderAll() {
    list.textContent = '';
    renderEntry({ from: 'bot', text: settings.greeting });
    var lastUser = -1;
    history.forEach(function (entry, i) {
      if (entry.from === 'user') lastUser = i;
    });
    history.forEach(function (entry, i) {
      renderEntry(entry, i > lastUser);
    });
    scrollToEnd();
  }

  function addEntry(entry) {
    history.push(entry);
    if (history.length > HISTORY_LIMIT) history = history.slice(-HISTORY_LIMIT);
    save('history', history, store);
    touch();
    renderEntry(entry, true);
    scrollToEnd();
  }

  // ---- typing indicator: from sending until the first reply, at most TYPING_TIMEOUT_MS ----
  var typingTimer = null;

  function showTyping() {
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT_MS);
    scrollToEnd();
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    typing.hidden = true;
  }

  // ---- connection ----
  var socket = null;
  var ready = false; // connected and the session confirmed: messages can be sent
  var everConnected = false;
  var awaitingSession = false; // a new session was asked for: answers of the old one are not shown

  function setState(state) {
    ready = state === 'ready';
    root.setAttribute('data-state', state);
    sendButton.disabled = !ready;
    status.textContent = ready ? TEXT.online : state === 'connecting' ? TEXT.connecting : TEXT.offline;
    var message = state === 'disconnected' ? TEXT.disconnected : state === 'unreachable' ? TEXT.unreachable : '';
    banner.textContent = message;
    banner.hidden = !message;
    if (!ready) hideTyping();
  }

  function connectionLost() {
    setState(everConnected ? 'disconnected' : 'unreachable');
  }

  function onBotMessage(message) {
    if (!message || typeof message !== 'object' || awaitingSession) return;
    var entry = { from: 'bot', time: Date.now() };
    if (typeof message.text === 'string' && message.text) entry.text = message.text;
    if (typeof message.sender_label === 'string' && message.sender_label) entry.label = message.sender_label.slice(0, 20);
    var buttons = message.quick_replies || message.buttons;
    if (Array.isArray(buttons)) {
      entry.buttons = buttons
        .filter(function (b) {
          return b && b.title && b.payload;
        })
        .map(function (b) {
          return { title: String(b.title), payload: String(b.payload) };
        });
    }
    var attachment = message.attachment;
    if (attachment && attachment.type === 'image' && attachment.payload) entry.image = attachment.payload.src;
    if (!entry.text && !entry.image && !(entry.buttons && entry.buttons.length)) return;
    hideTyping();
    addEntry(entry);
    if (panel.hidden) unread.hidden = false;
  }

  function askForStaffToken(notice) {
    login.hidden = false;
    form.hidden = true;
    loginError.textContent = notice || '';
    loginError.hidden = !notice;
    tokenInput.value = '';
    tokenInput.focus();
  }

  login.addEventListener('submit', function (event) {
    event.preventDefault();
    if (!tokenInput.value) return;
    staffToken = tokenInput.value;
    tokenInput.value = '';
    login.hidden = true;
    form.hidden = false;
    connect();
  });

  function connect() {
    if (socket) return;
    if (settings.staff && !staffToken) {
      askForStaffToken(false);
      return;
    }
    setState('connecting');
    var options = {
      path: settings.socketPath,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      timeout: 10000,
      // A connection of its own each time: after a refused staff token, not the cached one.
      forceNew: true,
    };
    if (staffToken) options.auth = { staff_token: staffToken };
    socket = io(settings.serverUrl, options);
    socket.on('connect', function () {
      socket.emit('session_request', { session_id: sessionId });
    });
    socket.on('session_confirm', function (id) {
      var confirmed = id && typeof id === 'object' ? id.session_id : id;
      if (typeof confirmed === 'string' && confirmed) {
        sessionId = confirmed;
        save('session', sessionId, store);
        // A new session starts the clock; reconnecting to a kept one does not reset it.
        if (load('active', store) === null) touch();
      }
      awaitingSession = false;
      everConnected = true;
      setState('ready');
    });
    socket.on('bot_uttered', onBotMessage);
    socket.on('disconnect', function (reason) {
      connectionLost();
      // socket.io reconnects by itself, except when the server closed the connection on purpose.
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.on('connect_error', function (error) {
      var locked = error && error.message === STAFF_TOKEN_LOCKED;
      if (locked || (error && error.message === STAFF_TOKEN_REFUSED)) {
        // A wrong staff token (or too many): not retried; asked for again.
        socket.close();
        socket = null;
        staffToken = null;
        setState('idle');
        askForStaffToken(locked ? TEXT.staffLocked : TEXT.staffRejected);
        return;
      }
      connectionLost();
      if (!socket.active) setTimeout(function () { socket.connect(); }, 5000);
    });
  }

  // ---- forgetting: 清除对话, or a kept conversation that has expired ----
  function clearConversation() {
    history = [];
    sessionId = null;
    remove(CONVERSATION_KEYS, store);
    hideTyping();
    renderAll();
    if (socket && socket.connected) {
      // A new session on the same connection: the server issues a new id, the old one is gone.
      awaitingSession = true;
      setState('connecting');
      socket.emit('session_request', { session_id: null });
    }
  }

  if (store === local && local) {
    setInterval(function () {
      if (load('active', store) !== null && expired()) clearConversation();
    }, EXPIRY_CHECK_MS);
  }

  function send(text, shownAs) {
    text = String(text || '').trim();
    if (!text || !ready) return false;
    removeQuickReplies();
    addEntry({ from: 'user', text: shownAs || text, time: Date.now() });
    socket.emit('user_uttered', { message: text, session_id: sessionId });
    showTyping();
    return true;
  }

  // ---- input: Enter sends, Shift+Enter is a new line, Enter that picks an IME candidate is not ----
  var composing = false;

  function autosize() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 120) + 'px';
  }

  function submit() {
    if (send(input.value)) {
      input.value = '';
      autosize();
    }
  }

  input.addEventListener('compositionstart', function () {
    composing = true;
  });
  input.addEventListener('compositionend', function () {
    composing = false;
  });
  input.addEventListener('input', autosize);
  input.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter' || event.shiftKey) return;
    // Chinese (and other) input methods: Enter confirms the candidate being composed. Safari
    // reports it after compositionend, with keyCode 229, so all three signs are checked.
    if (event.isComposing || composing || event.keyCode === 229) return;
    event.preventDefault();
    submit();
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    submit();
  });

  // ---- opening and closing ----
  function open() {
    panel.hidden = false;
    root.classList.add('hd-open');
    launcher.setAttribute('aria-expanded', 'true');
    unread.hidden = true;
    save('open', true, uiStore);
    connect();
    scrollToEnd();
    // On a phone the keyboard would cover half the answer: focus only with a mouse/keyboard.
    if (!(window.matchMedia && matchMedia('(pointer: coarse)').matches)) input.focus();
  }

  function close() {
    panel.hidden = true;
    root.classList.remove('hd-open');
    launcher.setAttribute('aria-expanded', 'false');
    save('open', false, uiStore);
    launcher.focus();
  }

  launcher.addEventListener('click', function () {
    if (panel.hidden) open();
    else close();
  });
  closeButton.addEventListener('click', close);
  clearButton.addEventListener('click', function () {
    clearConversation();
    input.value = '';
    autosize();
    if (!form.hidden && !(window.matchMedia && matchMedia('(pointer: coarse)').matches)) input.focus();
  });
  panel.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && !event.isComposing && !composing) close();
  });

  renderAll();
  setState('idle');
  function mount() {
    document.body.appendChild(host);
    // A reload keeps the panel open (per tab); a later visit starts with only the launcher.
    if (load('open', uiStore) === true) open();
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);

  return { open: open, close: close, send: send };
}
