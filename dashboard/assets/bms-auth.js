// When a session has ended (logout elsewhere, expiry), Dash's requests get 401: go to the login page
// instead of leaving a page that silently stops updating.
(function () {
    const send = window.fetch;
    window.fetch = function () {
        return send.apply(this, arguments).then(function (response) {
            if (response.status === 401 && !window.location.pathname.startsWith("/login")) {
                const here = window.location.pathname + window.location.search;
                window.location.assign("/login?neste=" + encodeURIComponent(here));
            }
            return response;
        });
    };
})();
